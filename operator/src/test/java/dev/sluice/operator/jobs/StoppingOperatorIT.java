package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An operator stopping on purpose (SIGTERM in a rolling upgrade) while its reconciler resumes a queued
 * Job: stopping waits for the reconciliation, so the admission is counted, and flushed into the stored
 * JobQuota totals the next leader reports. JOSDK's default would interrupt it: the Job's update then
 * fails in this replica's eyes (or succeeds after the last flush), and the admission is lost from the
 * status's {@code admittedTotal} (JobQuotaE2E saw 58 of 60 after a {@code helm upgrade}).
 */
@EnableKubernetesMockClient(crud = true)
class StoppingOperatorIT {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String NS = "stopping";
    static KubernetesClient client;
    static KubernetesMockServer server;

    @Test
    void aJobResumedWhileTheOperatorStopsIsCountedInTheStoredTotals() throws Exception {
        MockCluster.registerCrds(client);
        try (InputStream yaml = StoppingOperatorIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        MockJobs jobs = new MockJobs(client, NS);
        jobs.create("running", null);
        jobs.create("held", Instant.parse("2026-01-01T10:00:00Z"));
        // The API server answers the resume of the held Job slowly: the operator is told to stop meanwhile.
        CountDownLatch resuming = new CountDownLatch(1);
        server.expect().put().withPath("/apis/batch/v1/namespaces/" + NS + "/jobs/held").andReply(200, request -> {
            resuming.countDown();
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return request.getUtf8Body();
        }).once();
        SluiceOperator operator = SluiceOperator.start(client, OperatorSettings.forTests(), Clock.systemUTC());
        try {
            JobQuota quota = new JobQuota();
            quota.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("quota").withGeneration(1L).build());
            quota.setSpec(JobQuotaSpec.of(1));
            client.resource(quota).create();
            await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(client.resources(JobQuota.class).inNamespace(NS)
                    .withName("quota").get().getStatus().queued()).isEqualTo(1));

            jobs.complete("running");
            assertThat(resuming.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the held Job's resume sent").isTrue();
        } finally {
            operator.close();
        }

        AdmissionTotals.Read stored = new AdmissionTotals(client).read(NS);
        assertThat(stored.unreadable()).isNull();
        assertThat(stored.totals().quotas().values()).singleElement()
                .satisfies(totals -> assertThat(totals.admitted()).as("admissions in the stored totals").isEqualTo(1));
    }
}
