package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.e2e.jobs.JobsUnderTest;
import dev.sluice.operator.jobs.EnforcedNamespaces;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The release the suite installed with {@code helm install} ({@link OperatorDeployment}) as a platform
 * team meets it: two replicas, one leading, in a namespace that enforces the {@code restricted} Pod
 * Security profile; bad values refused by the chart's schema without touching the release; the leader
 * force-deleted and the other replica taking over; {@code helm uninstall} leaving nothing that blocks
 * anyone; the chart owning the CRDs when asked. Runs after the classes that use the operator
 * ({@link ClassOrderer.OrderAnnotation}, see junit-platform.properties). The upgrade that rolls the
 * operator under a stream of Jobs is in {@code JobQuotaE2E}.
 */
@Order(Integer.MAX_VALUE - 2)
@ExtendWith(ClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmE2E {
    private static final Logger LOG = LoggerFactory.getLogger(HelmE2E.class);
    /** Long enough for a replica to stand for the Lease again; never reached when the election works. */
    private static final Duration TAKE_OVER = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every kind the chart (and its hooks) create objects of, for {@code kubectl get -l app.kubernetes.io/instance=sluice}. */
    private static final String RELEASE_KINDS = "deployments,replicasets,pods,services,serviceaccounts,configmaps,secrets,roles,rolebindings,"
            + "poddisruptionbudgets,jobs,clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations";

    static TestCluster cluster;
    static OperatorDeployment operator;

    @BeforeAll
    static void installed(TestCluster testCluster) {
        cluster = testCluster;
        operator = cluster.operator();
        operator.ensureRunning();
    }

    @Test
    @Order(1)
    void theReleaseRunsTwoReplicasOneHoldingTheLeaseInARestrictedNamespace() throws IOException {
        List<Pod> pods = operator.awaitReadyPods(OperatorDeployment.CHART_REPLICAS);
        Set<String> names = pods.stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());

        String leader = await("a replica holding the Lease").atMost(TAKE_OVER).ignoreExceptions().until(operator::leader, names::contains);
        LOG.info("replicas {}, leader {}", names, leader);
        Namespace namespace = cluster.client().namespaces().withName(OperatorDeployment.NAMESPACE).get();
        assertThat(namespace.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        assertThat(release().path("info").path("status").asText()).isEqualTo("deployed");
        // The chart owns the webhook configurations; the operator wrote the CA bundle into both.
        MutatingWebhookConfiguration creations = cluster.client().admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("sluice-jobs").get();
        ValidatingWebhookConfiguration updates = cluster.client().admissionRegistration().v1().validatingWebhookConfigurations()
                .withName("sluice-job-updates").get();
        assertThat(creations.getMetadata().getAnnotations()).containsEntry("meta.helm.sh/release-name", OperatorDeployment.RELEASE);
        assertThat(creations.getWebhooks()).allSatisfy(webhook -> assertThat(webhook.getClientConfig().getCaBundle()).isNotBlank());
        assertThat(updates.getMetadata().getAnnotations()).containsEntry("meta.helm.sh/release-name", OperatorDeployment.RELEASE);
        assertThat(updates.getWebhooks()).allSatisfy(webhook -> assertThat(webhook.getClientConfig().getCaBundle()).isNotBlank());
        MutatingWebhookConfiguration injection = cluster.client().admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("sluice-pods").get();
        assertThat(injection.getMetadata().getAnnotations()).containsEntry("meta.helm.sh/release-name", OperatorDeployment.RELEASE);
        assertThat(injection.getWebhooks()).hasSize(3)
                .allSatisfy(webhook -> assertThat(webhook.getClientConfig().getCaBundle()).isNotBlank());
    }

    /**
     * What the chart renders in its usual shapes, the API server accepts ({@code kubectl apply
     * --dry-run=server}: schema, admission, RBAC escalation checks), next to the release's own objects.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "crds.install=true", "watchNamespaces={helm-dry-a,helm-dry-b}", "replicaCount=1,podDisruptionBudget.enabled=false",
        "cleanup.enabled=false,rbac.userRoles=false", "injection.enabled=false",
        "injection.podOverrides.resources=true,sidecar.redisPasswordSecret.name=redis-auth"})
    @Order(2)
    void theRenderedManifestsPassTheApiServersDryRun(String values) {
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: helm-dry-a}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: helm-dry-b}
                """, "apply", "-f", "-").orThrow();
        List<String> template = new ArrayList<>(List.of("template", OperatorDeployment.RELEASE,
                TestCluster.path(OperatorDeployment.CHART.toString()).toString(), "-n", OperatorDeployment.NAMESPACE));
        if (!values.isEmpty()) {
            template.addAll(List.of("--set", values));
        }
        String manifests = cluster.helm().run(template.toArray(String[]::new)).orThrow().stdout();

        Kubectl.Result dryRun = cluster.kubectl().runWithInput(manifests, "apply", "--dry-run=server", "-f", "-");

        assertThat(dryRun.succeeded()).as("kubectl apply --dry-run=server of the chart rendered with '%s': %s", values, dryRun).isTrue();
        assertThat(dryRun.stdout()).contains("(server dry run)");
    }

    @Test
    @Order(2)
    void badValuesAreRefusedByTheSchemaNamingTheValueAndTheReleaseIsLeftAsItWas() throws IOException {
        int revision = revision();

        assertRefused("a wrong type", "replicaCount=two", "at '/replicaCount': got string, want integer");
        assertRefused("an unknown key", "replicas=3", "additional properties 'replicas' not allowed");
        assertRefused("an invalid image tag", "image.tag=v1:latest", "at '/image/tag': 'v1:latest' does not match pattern");

        assertThat(revision()).as("the release's revision after three refused upgrades").isEqualTo(revision);
        operator.awaitReadyPods(OperatorDeployment.CHART_REPLICAS);
    }

    @Test
    @Order(3)
    void theLeaderForceDeletedTheOtherReplicaTakesOverTheLease() {
        List<Pod> pods = operator.awaitReadyPods(OperatorDeployment.CHART_REPLICAS);
        Set<String> names = pods.stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
        String leader = await("a replica holding the Lease").atMost(TAKE_OVER).ignoreExceptions().until(operator::leader, names::contains);
        String other = names.stream().filter(name -> !name.equals(leader)).findFirst().orElseThrow();

        operator.collectLogs();
        // The ReplicaSet's replacement pod starts in about 10 s, before the dead leader's Lease expires (15 s),
        // and stands for it too: either may win. With the node cordoned the replacement waits unscheduled,
        // and the take-over measured is the one this test is about, by the replica that was running.
        String node = cluster.client().nodes().list().getItems().get(0).getMetadata().getName();
        cluster.kubectl().run("cordon", node).orThrow();
        long tookOverMs;
        try {
            long deleted = System.nanoTime();
            cluster.kubectl().run("delete", "pod", "-n", OperatorDeployment.NAMESPACE, leader, "--grace-period=0", "--force").orThrow();
            await("the Lease held by the other replica, " + other).atMost(TAKE_OVER).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(operator::leader, other::equals);
            tookOverMs = (System.nanoTime() - deleted) / 1_000_000;
        } finally {
            cluster.kubectl().run("uncordon", node).orThrow();
        }

        // What a user reads: the measured take-over against the Lease's duration (JOSDK's default, 15 s).
        System.out.printf("HelmE2E: leader %s force-deleted; %s held the Lease %d ms later%n", leader, other, tookOverMs);
        LOG.info("leader {} force-deleted; {} took the Lease over in {} ms", leader, other, tookOverMs);
        assertThat(operator.awaitReadyPods(OperatorDeployment.CHART_REPLICAS)).extracting(pod -> pod.getMetadata().getName())
                .as("a new pod replaces the deleted leader").contains(other).doesNotContain(leader);
    }

    /**
     * {@code helm uninstall} with what users have at that moment: a namespace under a JobQuota with a
     * Job it holds, and a RateLimitPolicy, each with the operator's finalizer. Afterwards nothing of the
     * release is left but what the chart's README says it keeps (the CRDs, which kubectl created here,
     * and the users' resources), and nothing waits on the operator: the held Job runs, a Job and a pod
     * can be created where the webhooks were called, and a namespace with Sluice resources deletes.
     */
    @Test
    @Order(4)
    void uninstallLeavesOnlyWhatThePolicyKeepsAndNothingWaitsOnTheOperator() {
        KubernetesClient client = cluster.client();
        String quotaNamespace = cluster.createNamespace("helm-quota");
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(quotaNamespace).withName("quota").build());
        quota.setSpec(JobQuotaSpec.of(1));
        client.resource(quota).create();
        await("the namespace labelled for the Job webhooks").atMost(TAKE_OVER).ignoreExceptions().until(() ->
                client.namespaces().withName(quotaNamespace).get().getMetadata().getLabels().get(EnforcedNamespaces.LABEL) != null);
        JobsUnderTest jobs = new JobsUnderTest(client, quotaNamespace);
        await("a Job admitted under the quota").atMost(TAKE_OVER).ignoreExceptions().until(() -> jobs.create("running", Map.of()) != null);
        assertThat(JobsUnderTest.isQueued(jobs.create("held", Map.of()))).as("the second Job, over the maximum of 1, queued").isTrue();
        String policyNamespace = cluster.createNamespace("helm-policies");
        cluster.kubectl().run("apply", "-n", policyNamespace, "-f", TestCluster.path("examples/ratelimitpolicy.yaml").toString()).orThrow();
        await("the policy's finalizer").atMost(TAKE_OVER).ignoreExceptions().until(() -> !client.resources(RateLimitPolicy.class)
                .inNamespace(policyNamespace).list().getItems().get(0).getMetadata().getFinalizers().isEmpty());

        operator.collectLogs();
        long uninstalling = System.nanoTime();
        Kubectl.Result uninstall = cluster.helm().run("uninstall", OperatorDeployment.RELEASE, "-n", OperatorDeployment.NAMESPACE,
                "--wait", "--timeout", "5m").orThrow();
        LOG.info("helm uninstall took {} ms: {}", (System.nanoTime() - uninstalling) / 1_000_000, uninstall.stdout().strip());

        assertThat(cluster.kubectl().run("get", RELEASE_KINDS, "-A", "-l", "app.kubernetes.io/instance=" + OperatorDeployment.RELEASE,
                "-o", "name").orThrow().stdout().lines().toList()).as("objects of the release left after uninstall").isEmpty();
        assertThat(cluster.kubectl().run("get", "lease,secret", "-n", OperatorDeployment.NAMESPACE, "-o", "name").orThrow().stdout()
                .lines().filter(name -> name.contains("sluice")).toList())
                .as("the operator's Lease and webhook Secret in its namespace").isEmpty();
        assertThat(client.namespaces().withName(quotaNamespace).get().getMetadata().getLabels())
                .as("the labels of the namespace that had a JobQuota").doesNotContainKey(EnforcedNamespaces.LABEL);
        assertThat(client.resources(JobQuota.class).inNamespace(quotaNamespace).withName("quota").get().getMetadata().getFinalizers())
                .as("finalizers of the JobQuota").noneMatch(finalizer -> finalizer.contains("sluice"));
        assertThat(client.resources(RateLimitPolicy.class).inNamespace(policyNamespace).list().getItems())
                .as("the RateLimitPolicy, kept").singleElement()
                .satisfies(policy -> assertThat(policy.getMetadata().getFinalizers()).noneMatch(finalizer -> finalizer.contains("sluice")));
        for (String crd : TestCluster.CRDS) {
            assertThat(client.apiextensions().v1().customResourceDefinitions().withName(crd).get()).as("CRD %s, kept", crd).isNotNull();
        }
        await("the held Job let run").atMost(TAKE_OVER).until(() -> Boolean.FALSE.equals(jobs.get("held").getSpec().getSuspend()));

        Job created = jobs.create("after", Map.of());
        assertThat(created.getSpec().getSuspend()).as("a Job created after uninstall, beyond the quota's maximum").isNotEqualTo(Boolean.TRUE);
        assertThat(client.pods().inNamespace(quotaNamespace).resource(new PodBuilder().withNewMetadata().withName("after").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(TestCluster.BUSYBOX).withCommand("sleep", "1").endContainer()
                .endSpec().build()).create()).as("a pod created after uninstall").isNotNull();
        cluster.kubectl().run("delete", "namespace", policyNamespace, "--wait=false").orThrow();
        cluster.kubectl().run("delete", "namespace", quotaNamespace, "--wait=false").orThrow();
        await("the namespaces that held Sluice resources deleted").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> client.namespaces().withName(policyNamespace).get() == null && client.namespaces().withName(quotaNamespace).get() == null);
    }

    /**
     * The other way to install: the chart owns the CRDs ({@code crds.install=true}), after they were
     * deleted with everything in them. They carry Helm's ownership and its keep policy, the operator
     * reconciles a resource of them, {@code helm upgrade} upgrades them, and {@code helm uninstall}
     * leaves them, and the resource, in place.
     */
    @Test
    @Order(5)
    void theChartInstallsTheCrdsWhenAskedAndKeepsThemOnUninstall() {
        KubernetesClient client = cluster.client();
        cluster.kubectl().run("delete", "-f", TestCluster.path("crds").toString(), "--wait", "--timeout=3m").orThrow();

        String chart = TestCluster.path(OperatorDeployment.CHART.toString()).toString();
        cluster.helm().run("install", OperatorDeployment.RELEASE, chart, "-n", OperatorDeployment.NAMESPACE, "--set", "crds.install=true",
                "--wait", "--timeout", "5m").orThrow();
        // The chart's defaults, as a user's `helm install` gets them: both replicas Ready, one leading.
        Set<String> names = operator.awaitReadyPods(OperatorDeployment.CHART_REPLICAS).stream().map(pod -> pod.getMetadata().getName())
                .collect(Collectors.toSet());
        await("a replica holding the Lease").atMost(TAKE_OVER).ignoreExceptions().until(operator::leader, names::contains);
        for (String name : TestCluster.CRDS) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
            assertThat(crd.getMetadata().getAnnotations()).as(name)
                    .containsEntry("meta.helm.sh/release-name", OperatorDeployment.RELEASE)
                    .containsEntry("helm.sh/resource-policy", "keep");
            assertThat(crd.getMetadata().getLabels()).as(name).containsEntry("app.kubernetes.io/managed-by", "Helm");
        }
        String namespace = cluster.createNamespace("helm-crds");
        cluster.kubectl().run("apply", "-n", namespace, "-f", TestCluster.path("examples/ratelimitpolicy.yaml").toString()).orThrow();
        cluster.kubectl().run("wait", "-n", namespace, "--for=condition=Ready", "--timeout=120s", "rlp/shop-api").orThrow();
        operator.upgrade();

        operator.collectLogs();
        cluster.helm().run("uninstall", OperatorDeployment.RELEASE, "-n", OperatorDeployment.NAMESPACE, "--wait", "--timeout", "5m").orThrow();

        for (String name : TestCluster.CRDS) {
            assertThat(client.apiextensions().v1().customResourceDefinitions().withName(name).get()).as("CRD %s after uninstall", name)
                    .isNotNull();
        }
        assertThat(client.resources(RateLimitPolicy.class).inNamespace(namespace).withName("shop-api").get())
                .as("the RateLimitPolicy after uninstall").isNotNull();
        assertThat(cluster.helm().run("status", OperatorDeployment.RELEASE, "-n", OperatorDeployment.NAMESPACE).succeeded())
                .as("helm status of the uninstalled release").isFalse();
    }

    /** {@code helm upgrade --reuse-values --set <setting>} fails, with the schema's message naming the key (and the value). */
    private static void assertRefused(String what, String setting, String named) {
        Kubectl.Result upgrade = cluster.helm().run("upgrade", OperatorDeployment.RELEASE,
                TestCluster.path(OperatorDeployment.CHART.toString()).toString(), "-n", OperatorDeployment.NAMESPACE, "--reuse-values",
                "--set", setting);
        assertThat(upgrade.succeeded()).as("helm upgrade with %s (%s) succeeded: %s", what, setting, upgrade).isFalse();
        assertThat(upgrade.stderr()).as("helm's message for %s", what).contains("values don't meet the specifications of the schema")
                .contains(named);
        LOG.info("{} refused: {}", what, upgrade.stderr().strip());
    }

    private static int revision() throws IOException {
        return release().path("version").asInt();
    }

    /** {@code helm status -o json} of the release. */
    private static JsonNode release() throws IOException {
        return JSON.readTree(cluster.helm().run("status", OperatorDeployment.RELEASE, "-n", OperatorDeployment.NAMESPACE, "-o", "json")
                .orThrow().stdout());
    }
}
