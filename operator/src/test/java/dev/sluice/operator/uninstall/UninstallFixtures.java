package dev.sluice.operator.uninstall;

import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.jobs.AdmissionLedger;
import dev.sluice.operator.jobs.EnforcedNamespaces;
import dev.sluice.operator.jobs.JobMarks;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * What an installed operator leaves in a cluster, built on the mock API server for the uninstall's tests:
 * the operator's Deployment with its pods, Lease and webhook Secret in {@code sluice-system}; in
 * {@code shop} a RateLimitPolicy and a CircuitBreaker with Sluice's finalizers (the policy with someone
 * else's too) and the sidecar ConfigMap they own; in {@code batch} a JobQuota, a running, a queued and a
 * user-suspended Job, the ledger, and the label; in {@code batch-new} a queued Job and no ledger yet.
 */
public final class UninstallFixtures {
    public static final String RELEASE_NAMESPACE = "sluice-system";
    public static final String DEPLOYMENT = "sluice-operator";
    public static final String LEASE = "sluice-operator";
    public static final String SECRET = "sluice-webhook-tls";
    public static final String POLICY_FINALIZER = "ratelimitpolicies.sluice.dev/finalizer";
    public static final String BREAKER_FINALIZER = "circuitbreakers.sluice.dev/finalizer";
    public static final String QUOTA_FINALIZER = "jobquotas.sluice.dev/finalizer";
    public static final String OTHERS_FINALIZER = "example.com/keep";
    public static final Map<String, String> OPERATOR_PODS = Map.of("app.kubernetes.io/name", "sluice-operator", "app.kubernetes.io/instance", "sluice");

    private UninstallFixtures() {
    }

    public static void registerCrds(KubernetesClient client) {
        MockCluster.registerCrds(client);
        try (InputStream yaml = UninstallFixtures.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operator's runtime objects: its Deployment ({@code replicas}, and as many pods), Lease and webhook Secret, and two of someone else's. */
    public static void operator(KubernetesClient client, int replicas) {
        client.resource(new DeploymentBuilder()
                .withNewMetadata().withNamespace(RELEASE_NAMESPACE).withName(DEPLOYMENT).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(OPERATOR_PODS).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(OPERATOR_PODS).endMetadata()
                .withNewSpec().addNewContainer().withName("operator").withImage("localhost/sluice-operator").endContainer().endSpec()
                .endTemplate().endSpec()
                .build()).create();
        for (int i = 0; i < replicas; i++) {
            client.resource(new PodBuilder().withNewMetadata().withNamespace(RELEASE_NAMESPACE).withName(DEPLOYMENT + "-" + i)
                    .withLabels(OPERATOR_PODS).endMetadata()
                    .withNewSpec().addNewContainer().withName("operator").withImage("localhost/sluice-operator").endContainer().endSpec()
                    .build()).create();
        }
        for (String name : new String[] {LEASE, "someone-elses"}) {
            client.resource(new LeaseBuilder().withNewMetadata().withNamespace(RELEASE_NAMESPACE).withName(name).endMetadata()
                    .withNewSpec().withHolderIdentity(DEPLOYMENT + "-0").endSpec().build()).create();
        }
        for (String name : new String[] {SECRET, "someone-elses"}) {
            client.resource(new SecretBuilder().withNewMetadata().withNamespace(RELEASE_NAMESPACE).withName(name).endMetadata()
                    .addToStringData("tls.crt", "pem").build()).create();
        }
    }

    /**
     * Stands in for the Deployment controller: deletes the operator's pods once the Deployment is scaled to 0.
     * Its requests carry the test client's user agent, not the command's.
     */
    public static Watch podsGoWhenScaledToZero(KubernetesClient client) {
        return client.apps().deployments().inNamespace(RELEASE_NAMESPACE).withName(DEPLOYMENT).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Deployment deployment) {
                if (deployment.getSpec().getReplicas() != null && deployment.getSpec().getReplicas() == 0) {
                    client.pods().inNamespace(RELEASE_NAMESPACE).withLabels(OPERATOR_PODS).delete();
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    /** Sluice resources and Jobs in {@code shop}, {@code batch} and {@code batch-new}, as a running operator leaves them. */
    public static void resources(KubernetesClient client) {
        for (String namespace : new String[] {"shop", "batch", "batch-new"}) {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        RateLimitPolicy policy = new RateLimitPolicy();
        policy.setMetadata(meta("shop", "api", POLICY_FINALIZER, OTHERS_FINALIZER));
        policy = client.resource(policy).create();
        CircuitBreaker breaker = new CircuitBreaker();
        breaker.setMetadata(meta("shop", "payments", BREAKER_FINALIZER));
        client.resource(breaker).create();
        client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("shop").withName("sluice-config")
                .addToLabels("app.kubernetes.io/managed-by", "sluice")
                .addToOwnerReferences(new OwnerReferenceBuilder().withApiVersion(policy.getApiVersion()).withKind(policy.getKind())
                        .withName("api").withUid(policy.getMetadata().getUid()).build())
                .endMetadata().addToData("sidecar.yaml", "policies: []").build()).create();

        client.namespaces().withName("batch").edit(namespace -> new NamespaceBuilder(namespace).editMetadata()
                .addToLabels(EnforcedNamespaces.LABEL, EnforcedNamespaces.VALUE).endMetadata().build());
        JobQuota quota = new JobQuota();
        quota.setMetadata(meta("batch", "quota", QUOTA_FINALIZER));
        quota.setSpec(JobQuotaSpec.of(1));
        client.resource(quota).create();
        client.resource(job("batch", "running", false)).create();
        client.resource(job("batch", "held", true)).create();
        Job usersOwn = job("batch", "users-own", false);
        usersOwn.getSpec().setSuspend(true);
        client.resource(usersOwn).create();
        client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("batch").withName(AdmissionLedger.NAME)
                .addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                .addToData(AdmissionLedger.KEY, "[]").build()).create();
        client.resource(job("batch-new", "held-too", true)).create();

        configReader(client, "shop", "sluice");
        configReader(client, "batch-new", "sluice");
        configReader(client, "batch", "helm");
    }

    /** The Role and RoleBinding sluice-config-reader, as the operator writes them when {@code managedBy} is sluice. */
    private static void configReader(KubernetesClient client, String namespace, String managedBy) {
        Map<String, String> labels = Map.of("app.kubernetes.io/managed-by", managedBy);
        client.resource(new RoleBuilder().withNewMetadata().withNamespace(namespace).withName("sluice-config-reader").withLabels(labels).endMetadata()
                .addNewRule().withApiGroups("").withResources("configmaps").withResourceNames("sluice-config").withVerbs("get", "list", "watch")
                .endRule().build()).create();
        client.resource(new RoleBindingBuilder().withNewMetadata().withNamespace(namespace).withName("sluice-config-reader").withLabels(labels)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "sluice-config-reader")
                .addNewSubject("rbac.authorization.k8s.io", "Group", "system:serviceaccounts:" + namespace, null).build()).create();
    }

    public static ObjectMeta meta(String namespace, String name, String... finalizers) {
        return new ObjectMetaBuilder().withNamespace(namespace).withName(name).withGeneration(1L).withFinalizers(finalizers).build();
    }

    /** A Job; {@code queued}: as the webhook leaves one it queued (suspended, labelled, annotated). */
    public static Job job(String namespace, String name, boolean queued) {
        JobBuilder job = new JobBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("work").withImage("example/work").endContainer().endSpec().endTemplate().endSpec();
        if (queued) {
            job.editMetadata().addToLabels(JobMarks.QUEUED_LABEL, "true").addToAnnotations(JobMarks.QUEUED_AT, "2026-01-01T10:00:00Z")
                    .addToAnnotations(JobMarks.QUEUED_BY, "quota").addToAnnotations(JobMarks.QUEUED_REASON, "queued for the test").endMetadata()
                    .editSpec().withSuspend(true).endSpec();
        }
        return job.build();
    }

    public static <T extends HasMetadata> T get(KubernetesClient client, Class<T> kind, String namespace, String name) {
        return client.resources(kind).inNamespace(namespace).withName(name).get();
    }
}
