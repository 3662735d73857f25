package dev.sluice.operator.uninstall;

import static dev.sluice.operator.uninstall.UninstallFixtures.BREAKER_FINALIZER;
import static dev.sluice.operator.uninstall.UninstallFixtures.OTHERS_FINALIZER;
import static dev.sluice.operator.uninstall.UninstallFixtures.POLICY_FINALIZER;
import static dev.sluice.operator.uninstall.UninstallFixtures.QUOTA_FINALIZER;
import static dev.sluice.operator.uninstall.UninstallFixtures.RELEASE_NAMESPACE;
import static dev.sluice.operator.uninstall.UninstallFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.jobs.AdmissionLedger;
import dev.sluice.operator.jobs.EnforcedNamespaces;
import dev.sluice.operator.jobs.JobEvents;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.uninstall.UninstallSettings.ObjectName;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice-operator uninstall} against the mock API server, on what a running operator leaves
 * ({@link UninstallFixtures}): afterwards no Sluice finalizer, namespace label, queued Job, ledger,
 * sidecar config reader Role or RoleBinding, Lease or webhook Secret remains, while the resources themselves, the sidecar ConfigMap they own and
 * everything of anyone else's stay; a second run finds nothing to do and succeeds.
 */
@EnableKubernetesMockClient(crud = true)
class UninstallIT {
    KubernetesClient client;

    @BeforeEach
    void cluster() {
        UninstallFixtures.registerCrds(client);
        UninstallFixtures.operator(client, 2);
        UninstallFixtures.resources(client);
    }

    @Test
    void releasesEverythingTheOperatorHoldsAndASecondRunFindsNothingToDo() {
        try (Watch controller = UninstallFixtures.podsGoWhenScaledToZero(client)) {
            assertThat(uninstall(Set.of(), Duration.ofSeconds(60)).run()).isEmpty();
        }

        assertReleased();
        assertThat(MockCluster.events(client, "batch", "held", JobEvents.ADMITTED)).singleElement()
                .satisfies(event -> assertThat(event.getMessage()).isEqualTo("released: the Sluice operator is being uninstalled"));

        assertThat(uninstall(Set.of(), Duration.ofSeconds(60)).run()).as("a second run").isEmpty();
        assertReleased();
    }

    @Test
    void withWatchedNamespacesItTouchesNoOtherNamespace() {
        try (Watch controller = UninstallFixtures.podsGoWhenScaledToZero(client)) {
            assertThat(uninstall(Set.of("shop"), Duration.ofSeconds(60)).run()).isEmpty();
        }

        assertThat(get(client, RateLimitPolicy.class, "shop", "api").getMetadata().getFinalizers()).containsExactly(OTHERS_FINALIZER);
        assertThat(get(client, JobQuota.class, "batch", "quota").getMetadata().getFinalizers()).containsExactly(QUOTA_FINALIZER);
        assertThat(client.namespaces().withName("batch").get().getMetadata().getLabels()).containsEntry(EnforcedNamespaces.LABEL, "enforced");
        assertThat(client.batch().v1().jobs().inNamespace("batch").withName("held").get().getSpec().getSuspend()).isTrue();
        assertThat(client.configMaps().inNamespace("batch").withName(AdmissionLedger.NAME).get()).isNotNull();
        assertThat(client.rbac().roles().inNamespace("shop").withName("sluice-config-reader").get()).isNull();
        assertThat(client.rbac().roles().inNamespace("batch-new").withName("sluice-config-reader").get()).isNotNull();
        assertThat(client.rbac().roleBindings().inNamespace("batch-new").withName("sluice-config-reader").get()).isNotNull();
    }

    @Test
    void whenTheOperatorDoesNotStopNothingIsReleasedAndTheFailureNamesItsPods() {
        assertThatThrownBy(() -> uninstall(Set.of(), Duration.ofSeconds(2)).run())
                .isInstanceOf(UninstallFailure.class)
                .hasMessageContaining("the pods of Deployment sluice-system/sluice-operator were still there after 2s")
                .hasMessageContaining("sluice-operator-0").hasMessageContaining("sluice-operator-1");

        assertThat(client.apps().deployments().inNamespace(RELEASE_NAMESPACE).withName("sluice-operator").get().getSpec().getReplicas()).isZero();
        assertThat(get(client, CircuitBreaker.class, "shop", "payments").getMetadata().getFinalizers()).containsExactly(BREAKER_FINALIZER);
        assertThat(client.batch().v1().jobs().inNamespace("batch").withName("held").get().getSpec().getSuspend()).isTrue();
        assertThat(client.leases().inNamespace(RELEASE_NAMESPACE).withName("sluice-operator").get()).isNotNull();
    }

    @Test
    void aResourceBeingDeletedGoesOnceTheFinalizerIsRemoved() {
        client.resources(CircuitBreaker.class).inNamespace("shop").withName("payments").delete();
        assertThat(get(client, CircuitBreaker.class, "shop", "payments").getMetadata().getDeletionTimestamp())
                .as("held by the finalizer, as the API server does").isNotNull();

        try (Watch controller = UninstallFixtures.podsGoWhenScaledToZero(client)) {
            assertThat(uninstall(Set.of(), Duration.ofSeconds(60)).run()).isEmpty();
        }

        assertThat(get(client, CircuitBreaker.class, "shop", "payments")).isNull();
    }

    private void assertReleased() {
        Deployment deployment = client.apps().deployments().inNamespace(RELEASE_NAMESPACE).withName("sluice-operator").get();
        assertThat(deployment.getSpec().getReplicas()).isZero();
        assertThat(client.pods().inNamespace(RELEASE_NAMESPACE).withLabels(UninstallFixtures.OPERATOR_PODS).list().getItems()).isEmpty();

        assertThat(get(client, RateLimitPolicy.class, "shop", "api").getMetadata().getFinalizers()).containsExactly(OTHERS_FINALIZER);
        assertThat(get(client, CircuitBreaker.class, "shop", "payments").getMetadata().getFinalizers()).isNullOrEmpty();
        assertThat(get(client, JobQuota.class, "batch", "quota").getMetadata().getFinalizers()).isNullOrEmpty();
        assertThat(get(client, JobQuota.class, "batch", "quota").getSpec().maxConcurrentJobs()).as("the quota itself stays").isEqualTo(1);
        ConfigMap sidecarConfig = client.configMaps().inNamespace("shop").withName("sluice-config").get();
        assertThat(sidecarConfig).as("the sidecar ConfigMap, owned by the policy that stays").isNotNull();

        for (Job job : client.batch().v1().jobs().inAnyNamespace().list().getItems()) {
            assertThat(job.getMetadata().getLabels()).as(job.getMetadata().getName()).doesNotContainKey(JobMarks.QUEUED_LABEL);
        }
        assertThat(client.batch().v1().jobs().inNamespace("batch").withName("held").get().getSpec().getSuspend()).isFalse();
        assertThat(client.batch().v1().jobs().inNamespace("batch-new").withName("held-too").get().getSpec().getSuspend()).isFalse();
        assertThat(client.batch().v1().jobs().inNamespace("batch").withName("users-own").get().getSpec().getSuspend())
                .as("a Job its owner suspended stays the owner's").isTrue();
        assertThat(client.configMaps().inAnyNamespace().list().getItems()).noneMatch(configMap -> configMap.getMetadata().getName().equals(AdmissionLedger.NAME));

        for (Namespace namespace : client.namespaces().list().getItems()) {
            Map<String, String> labels = namespace.getMetadata().getLabels();
            // get, not doesNotContainKey: the mock server keeps a key a merge patch sets to null, the API server removes it (RFC 7386)
            assertThat(labels == null ? null : labels.get(EnforcedNamespaces.LABEL)).as(namespace.getMetadata().getName()).isNull();
        }

        assertThat(client.rbac().roles().inAnyNamespace().list().getItems()).as("the sidecars' readers go, one of someone else's stays")
                .extracting(role -> role.getMetadata().getNamespace() + "/" + role.getMetadata().getName()).containsExactly("batch/sluice-config-reader");
        assertThat(client.rbac().roleBindings().inAnyNamespace().list().getItems())
                .extracting(binding -> binding.getMetadata().getNamespace() + "/" + binding.getMetadata().getName())
                .containsExactly("batch/sluice-config-reader");

        assertThat(client.leases().inNamespace(RELEASE_NAMESPACE).list().getItems()).map(Lease::getMetadata)
                .extracting(meta -> meta.getName()).containsExactly("someone-elses");
        assertThat(client.secrets().inNamespace(RELEASE_NAMESPACE).list().getItems()).map(Secret::getMetadata)
                .extracting(meta -> meta.getName()).containsExactly("someone-elses");
    }

    private Uninstall uninstall(Set<String> namespaces, Duration stopTimeout) {
        UninstallSettings settings = new UninstallSettings(new ObjectName(RELEASE_NAMESPACE, "sluice-operator"), namespaces,
                new ObjectName(RELEASE_NAMESPACE, "sluice-operator"), new ObjectName(RELEASE_NAMESPACE, "sluice-webhook-tls"), stopTimeout,
                "INFO", false);
        return new Uninstall(client, settings, Clock.systemUTC());
    }
}
