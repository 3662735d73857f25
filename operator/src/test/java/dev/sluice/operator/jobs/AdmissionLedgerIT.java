package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.MovableClock;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An admission ledger that becomes unreadable while it holds an admission the API server does not
 * show yet, against the mock API server, on a clock the test moves: the operator admits nothing
 * until that admission has lapsed, says so in the quota's status and an Event, and then carries on.
 */
@EnableKubernetesMockClient(crud = true)
class AdmissionLedgerIT {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String NS = "ledger";
    static KubernetesClient client;
    private static final MovableClock CLOCK = new MovableClock(Instant.now());
    private static SluiceOperator operator;
    private final MockJobs jobs = new MockJobs(client, NS);

    @BeforeAll
    static void startOperator() throws IOException {
        MockCluster.registerCrds(client);
        try (InputStream yaml = AdmissionLedgerIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        operator = SluiceOperator.start(client, OperatorSettings.forTests(), CLOCK);
    }

    @AfterAll
    static void stopOperator() {
        operator.close();
    }

    @Test
    void anUnreadableLedgerAdmitsNothingUntilTheAdmissionsItHeldHaveLapsed() {
        create(job("running", false));
        // An admission whose Job the API server has not stored yet: it holds the second of two slots.
        client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace(NS).withName(AdmissionLedger.NAME).endMetadata()
                .addToData(AdmissionLedger.KEY, "[{\"id\":\"t1\",\"kind\":\"CREATE\",\"job\":\"in-flight\",\"named\":true,\"labels\":{},"
                        + "\"issuedAt\":\"" + CLOCK.instant() + "\",\"notBefore\":null}]")
                .build()).create();
        create(job("queued-a", true));
        create(job("queued-b", true));
        client.resource(quota(JobQuotaSpec.of(2))).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(status().active()).isEqualTo(2);
            assertThat(status().queued()).isEqualTo(2);
        });
        assertThat(jobs.running()).containsExactly("running");

        client.configMaps().inNamespace(NS).withName(AdmissionLedger.NAME)
                .edit(ledger -> new ConfigMapBuilder(ledger).addToData(AdmissionLedger.KEY, "[{\"id\":\"t1\", \"kind\": CREATE").build());
        touch("running");

        await().atMost(PATIENCE).ignoreExceptions()
                .failFast("a queued Job was resumed while the ledger could not be read", () -> jobs.running().size() > 1)
                .untilAsserted(() -> assertThat(ready()).satisfies(ready -> {
                    assertThat(ready.getStatus()).isEqualTo("False");
                    assertThat(ready.getReason()).isEqualTo(JobQuotaStatuses.REASON_LEDGER_UNREADABLE);
                    assertThat(ready.getMessage()).startsWith("the admission ledger (ConfigMap sluice-job-admissions) could not be read");
                }));
        assertThat(MockCluster.events(client, NS, "quota", JobQuotaStatuses.REASON_LEDGER_UNREADABLE)).singleElement()
                .satisfies(event -> assertThat(event.getType()).isEqualTo("Warning"));

        // The admission the ledger forgot is stored after all: it takes the second slot.
        create(job("in-flight", false));
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(status().active()).isEqualTo(2));
        assertThat(jobs.running()).containsExactlyInAnyOrder("running", "in-flight");

        CLOCK.advance(Ticket.TTL);
        jobs.complete("running");
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
            assertThat(jobs.running()).containsExactlyInAnyOrder("in-flight", "queued-a");
            assertThat(ready().getReason()).isEqualTo(JobQuotaStatuses.REASON_WEBHOOK_NOT_CONFIGURED);
        });
        assertThat(jobs.mostRunning()).as("the most Jobs running at any look").isLessThanOrEqualTo(2);
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName("queued-b").get().getSpec().getSuspend()).isTrue();
    }

    private static Job job(String name, boolean queued) {
        JobBuilder job = new JobBuilder()
                .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
                .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("work").withImage("example/work").endContainer().endSpec().endTemplate().endSpec();
        if (queued) {
            job.editMetadata().addToLabels(JobMarks.QUEUED_LABEL, "true")
                    .addToAnnotations(JobMarks.QUEUED_AT, CLOCK.instant().minusSeconds(60).toString())
                    .addToAnnotations(JobMarks.QUEUED_REASON, "queued for the test").endMetadata()
                    .editSpec().withSuspend(true).endSpec();
        }
        return job.build();
    }

    private static void create(Job job) {
        client.resource(job).create();
    }

    /** A change the Job informer sees, so that the operator passes over the namespace. */
    private static void touch(String name) {
        client.batch().v1().jobs().inNamespace(NS).withName(name).edit(job -> new JobBuilder(job)
                .editMetadata().addToAnnotations("example.com/touched", Instant.now().toString()).endMetadata().build());
    }



    private static JobQuota quota(JobQuotaSpec spec) {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("quota").withGeneration(1L).build());
        quota.setSpec(spec);
        return quota;
    }

    private static JobQuotaStatus status() {
        return client.resources(JobQuota.class).inNamespace(NS).withName("quota").get().getStatus();
    }

    private static Condition ready() {
        return Conditions.find(status().conditions(), Conditions.READY).orElseThrow();
    }
}
