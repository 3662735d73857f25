package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admission reconciler against the mock API server: Jobs the webhook would have queued (created
 * here suspended and labelled, as it would write them) are resumed in order as running ones finish,
 * never beyond the maximum, with the status and Events that say so. No webhook runs here.
 */
@EnableKubernetesMockClient(crud = true)
class JobQuotaReconcilerIT {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    static KubernetesClient client;
    private static SluiceOperator operator;

    @BeforeAll
    static void startOperator() throws IOException {
        MockCluster.registerCrds(client);
        try (InputStream yaml = JobQuotaReconcilerIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        operator = SluiceOperator.start(client, OperatorSettings.forTests(), Clock.systemUTC());
    }

    @AfterAll
    static void stopOperator() {
        operator.close();
    }

    @Test
    void queuedJobsAreResumedInOrderAsRunningOnesFinishNeverBeyondTheMaximum() {
        String ns = "batch";
        MockJobs jobs = new MockJobs(client, ns);
        Instant t0 = Instant.parse("2026-01-01T10:00:00Z");
        jobs.create("running-1", null);
        jobs.create("running-2", null);
        jobs.create("queued-c", t0.plusSeconds(3));
        jobs.create("queued-a", t0.plusSeconds(1));
        jobs.create("queued-b", t0.plusSeconds(2));
        jobs.create("users-own", null);
        client.batch().v1().jobs().inNamespace(ns).withName("users-own").edit(job -> new JobBuilder(job).editSpec().withSuspend(true).endSpec().build());
        client.resource(quota(ns, "quota", JobQuotaSpec.of(3))).create();

        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(running(ns)).containsExactlyInAnyOrder("running-1", "running-2", "queued-a");
            JobQuotaStatus status = status(ns);
            assertThat(status.active()).isEqualTo(3);
            assertThat(status.queued()).isEqualTo(2);
            assertThat(status.oldestQueued().name()).isEqualTo("queued-b");
            assertThat(Conditions.find(status.conditions(), Conditions.READY).orElseThrow().getReason())
                    .isEqualTo(JobQuotaStatuses.REASON_WEBHOOK_NOT_CONFIGURED);
        });
        Job admitted = client.batch().v1().jobs().inNamespace(ns).withName("queued-a").get();
        assertThat(admitted.getMetadata().getLabels()).doesNotContainKey(JobMarks.QUEUED_LABEL);
        assertThat(admitted.getMetadata().getAnnotations()).containsKey(JobMarks.ADMITTED_AT);
        assertThat(client.batch().v1().jobs().inNamespace(ns).withName("users-own").get().getSpec().getSuspend()).isTrue();

        jobs.complete("running-1");
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(running(ns)).containsExactlyInAnyOrder("running-2", "queued-a", "queued-b"));
        assertThat(client.batch().v1().jobs().inNamespace(ns).withName("queued-c").get().getSpec().getSuspend()).isTrue();

        jobs.complete("running-2");
        jobs.complete("queued-a");
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(running(ns)).containsExactlyInAnyOrder("queued-b", "queued-c");
            JobQuotaStatus status = status(ns);
            assertThat(status.queued()).isZero();
            assertThat(status.oldestQueued()).isNull();
            assertThat(status.admittedTotal()).isEqualTo(3);
            assertThat(MockCluster.events(client, ns, "queued-c", JobEvents.ADMITTED)).singleElement()
                    .satisfies(event -> assertThat(event.getMessage()).startsWith("admitted by JobQuota quota after waiting"));
            assertThat(MockCluster.events(client, ns, "queued-c", JobEvents.QUEUED)).isNotEmpty();
        });
        assertThat(client.configMaps().inNamespace(ns).withName(AdmissionLedger.NAME).get().getData()).containsKey(AdmissionLedger.KEY);
    }

    @Test
    void deletingTheQuotaReleasesTheJobsItHeld() {
        String ns = "released";
        MockJobs jobs = new MockJobs(client, ns);
        jobs.create("running", null);
        jobs.create("held", Instant.parse("2026-01-01T10:00:00Z"));
        client.resource(quota(ns, "quota", JobQuotaSpec.of(1))).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(status(ns).queued()).isEqualTo(1));

        client.resources(JobQuota.class).inNamespace(ns).withName("quota").delete();

        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(running(ns)).containsExactlyInAnyOrder("running", "held"));
    }

    @Test
    void anInvalidQuotaIsReportedAndHoldsNothing() {
        String ns = "invalid";
        JobQuotaSpec badSelector = new JobQuotaSpec(1, new dev.sluice.api.config.LabelSelector(Map.of("bad key!", "x"), List.of()),
                null, null, null, null, null, null);
        client.resource(quota(ns, "quota", badSelector)).create();

        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(Conditions.find(status(ns).conditions(), Conditions.READY).orElseThrow())
                .satisfies(ready -> {
                    assertThat(ready.getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
                    assertThat(ready.getMessage()).startsWith("spec.jobSelector");
                }));
    }

    private static List<String> running(String namespace) {
        return client.batch().v1().jobs().inNamespace(namespace).list().getItems().stream()
                .map(JobView::of).filter(JobView::active).map(JobView::name).toList();
    }

    private static JobQuota quota(String namespace, String name, JobQuotaSpec spec) {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withGeneration(1L).build());
        quota.setSpec(spec);
        return quota;
    }

    private static JobQuotaStatus status(String namespace) {
        return client.resources(JobQuota.class).inNamespace(namespace).withName("quota").get().getStatus();
    }
}
