package dev.sluice.e2e.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.e2e.LocalCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobQuotaStatuses;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobQuota against a real kube-apiserver and etcd: the operator runs in this JVM and serves its Job
 * admission webhook over TLS on 127.0.0.1, with its own CA, and the API server calls it for every
 * Job created in a namespace under a JobQuota. No Job controller runs: the tests finish Jobs by
 * writing their status. Every poll of the Jobs is a fresh list from the API server.
 */
class JobQuotaE2E {
    private static final Logger LOG = LoggerFactory.getLogger(JobQuotaE2E.class);
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final Duration POLL = Duration.ofMillis(50);

    static LocalCluster cluster;
    static KubernetesClient client;
    static SluiceOperator operator;
    private final List<AutoCloseable> running = new ArrayList<>();

    @BeforeAll
    static void startClusterAndOperator() {
        Path root = Path.of(System.getProperty("sluice.root", "..")).toAbsolutePath().normalize();
        cluster = LocalCluster.start(root.resolve("e2e/target/cluster/kubeconfig-jobs-" + ProcessHandle.current().pid()));
        cluster.kubectl().run("apply", "-f", root.resolve("crds").toString()).orThrow();
        cluster.kubectl().run("wait", "--for=condition=Established", "--timeout=60s", "crd/jobquotas.sluice.dev").orThrow();
        client = cluster.newClient();
        operator = startOperator();
    }

    @AfterAll
    static void stopAll() {
        if (operator != null) {
            operator.close();
        }
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void stopBackgroundWork() throws Exception {
        for (AutoCloseable work : running) {
            work.close();
        }
    }

    private static SluiceOperator startOperator() {
        return SluiceOperator.start(client, OperatorSettings.parse(new String[] {"--http-port=0", "--leader-election=false",
                "--webhook=true", "--webhook-bind=127.0.0.1", "--webhook-port=0"}, Map.of()), Clock.systemUTC());
    }

    @Test
    void fiftyJobsCreatedAtOnceUnderAMaximumOfFiveNeverRunMoreThanFiveAndRunInOrder() throws Exception {
        String namespace = namespaceWithQuota("jq-burst", JobQuotaSpec.of(5));
        JobsUnderTest jobs = new JobsUnderTest(client, namespace);
        pollActive(jobs);

        ExecutorService creators = Executors.newFixedThreadPool(16);
        running.add(creators::shutdownNow);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Job>> created = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String name = String.format("burst-%02d", i);
            created.add(creators.submit(() -> {
                go.await();
                return jobs.create(name, Map.of("app", "batch"));
            }));
        }
        go.countDown();
        for (Future<Job> job : created) {
            assertThat(job.get(60, TimeUnit.SECONDS).getMetadata().getAnnotations()).containsKey(JobMarks.TICKET);
        }

        await().atMost(PATIENCE).pollInterval(POLL).untilAsserted(() -> {
            List<Job> all = jobs.list();
            assertThat(all).hasSize(50);
            assertThat(all.stream().filter(JobsUnderTest::isActive)).hasSize(5);
            assertThat(all.stream().filter(JobsUnderTest::isQueued)).hasSize(45);
        });
        List<String> queueOrder = JobsUnderTest.byQueuedAt(jobs.list());
        assertThat(queueOrder).hasSize(45);
        Job queued = jobs.get(queueOrder.get(0));
        assertThat(queued.getSpec().getSuspend()).isTrue();
        assertThat(queued.getMetadata().getAnnotations().get(JobMarks.QUEUED_REASON))
                .isEqualTo("concurrent job limit reached (5/5) in namespace jq-burst; queued until a running Job finishes (JobQuota quota)");

        finishAllInTurn(jobs, 50);

        assertThat(jobs.mostActive()).as("the most Jobs active at any poll").isLessThanOrEqualTo(5);
        assertThat(JobsUnderTest.byAdmittedAt(jobs.list())).as("queued Jobs run in the order they were queued").isEqualTo(queueOrder);
        await().atMost(PATIENCE).untilAsserted(() -> {
            JobQuotaStatus status = quota(namespace).getStatus();
            assertThat(status.active()).isZero();
            assertThat(status.queued()).isZero();
            assertThat(status.admittedTotal()).isEqualTo(50);
        });
        assertThat(client.v1().events().inNamespace(namespace).list().getItems())
                .anySatisfy(event -> assertThat(event.getReason()).isEqualTo("Queued"))
                .anySatisfy(event -> {
                    assertThat(event.getReason()).isEqualTo("Admitted");
                    assertThat(event.getMessage()).startsWith("admitted by JobQuota quota after waiting");
                });
        assertThat(operator.registry().scrape()).contains("concurrent_jobs_active{namespace=\"jq-burst\"}")
                .contains("sluice_job_admission_duration_seconds_count{outcome=\"queue\"}");
    }

    @Test
    void rejectRefusesCreationAtTheLimitWithAMessageThatSaysWhy() {
        String namespace = namespaceWithQuota("jq-reject",
                new JobQuotaSpec(2, null, JobQuotaSpec.OnLimit.Reject, null, null, null, null, null));
        JobsUnderTest jobs = new JobsUnderTest(client, namespace);
        jobs.create("first", Map.of());
        jobs.create("second", Map.of());

        assertThatThrownBy(() -> jobs.create("third", Map.of()))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("admission webhook \"jobs.sluice.dev\" denied the request: "
                        + "concurrent job limit reached (2/2) in namespace jq-reject; retry after a running Job finishes (JobQuota quota)");
        assertThat(jobs.get("third")).isNull();

        jobs.complete("first");
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(jobs.create("third", Map.of())).isNotNull());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(quota(namespace).getStatus().refusedTotal()).isGreaterThanOrEqualTo(1));
    }

    @Test
    void failureBackoffHoldsARetriedJobOrRefusesItWithTheTimeItMayRun() {
        FailureBackoff backoff = new FailureBackoff("example.com/run", "1h");
        String queueing = namespaceWithQuota("jq-backoff",
                new JobQuotaSpec(5, null, JobQuotaSpec.OnLimit.Queue, null, null, null, backoff, null));
        JobsUnderTest jobs = new JobsUnderTest(client, queueing);
        jobs.create("etl-1", Map.of("example.com/run", "etl"));
        jobs.fail("etl-1");

        Job retry = jobs.create("etl-2", Map.of("example.com/run", "etl"));
        assertThat(retry.getSpec().getSuspend()).isTrue();
        assertThat(retry.getMetadata().getLabels()).containsEntry(JobMarks.QUEUED_LABEL, "true");
        Instant notBefore = Instant.parse(retry.getMetadata().getAnnotations().get(JobMarks.NOT_BEFORE));
        assertThat(notBefore).isAfter(Instant.now().plus(Duration.ofMinutes(55)));

        // Another Job runs and finishes meanwhile: the operator passes over the namespace, and still holds the retry.
        assertThat(jobs.create("report", Map.of("example.com/run", "report")).getSpec().getSuspend()).isNotEqualTo(Boolean.TRUE);
        jobs.complete("report");
        await().atMost(PATIENCE).untilAsserted(() -> {
            JobQuotaStatus status = quota(queueing).getStatus();
            assertThat(status.active()).isZero();
            assertThat(status.queued()).isEqualTo(1);
            assertThat(status.oldestQueued().name()).isEqualTo("etl-2");
        });
        assertThat(jobs.get("etl-2").getSpec().getSuspend()).isTrue();

        String rejecting = namespaceWithQuota("jq-backoff-reject",
                new JobQuotaSpec(5, null, JobQuotaSpec.OnLimit.Reject, null, null, null, backoff, null));
        JobsUnderTest refused = new JobsUnderTest(client, rejecting);
        refused.create("etl-1", Map.of("example.com/run", "etl"));
        refused.fail("etl-1");
        assertThatThrownBy(() -> refused.create("etl-2", Map.of("example.com/run", "etl")))
                .hasMessageContaining("a Job with example.com/run=etl failed")
                .hasMessageContaining("the failure backoff is 1h (JobQuota quota)")
                .hasMessageContaining("; retry after " + Instant.now().plus(Duration.ofHours(1)).toString().substring(0, 13));
    }

    @Test
    void anOperatorStoppedAndRestartedMidRunNeverExceedsTheMaximumAndAdmitsEveryJob() throws Exception {
        String namespace = namespaceWithQuota("jq-restart", JobQuotaSpec.of(3));
        JobsUnderTest jobs = new JobsUnderTest(client, namespace);
        pollActive(jobs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger createdCount = new AtomicInteger();
        AtomicInteger refusedWhileDown = new AtomicInteger();
        ExecutorService background = Executors.newFixedThreadPool(2);
        running.add(() -> {
            stop.set(true);
            background.shutdownNow();
        });
        background.submit(() -> {
            for (int i = 0; i < 20 && !stop.get(); i++) {
                String name = String.format("restart-%02d", i);
                while (!stop.get()) {
                    try {
                        jobs.create(name, Map.of());
                        createdCount.incrementAndGet();
                        break;
                    } catch (KubernetesClientException e) {
                        if (e.getCode() == 409) {
                            createdCount.incrementAndGet();
                            break;
                        }
                        refusedWhileDown.incrementAndGet();
                        Thread.sleep(100);
                    }
                }
                Thread.sleep(30);
            }
            return null;
        });
        background.submit(() -> {
            while (!stop.get()) {
                for (Job active : jobs.activeNow()) {
                    jobs.complete(active.getMetadata().getName());
                }
                Thread.sleep(150);
            }
            return null;
        });

        await().atMost(PATIENCE).until(() -> createdCount.get() >= 8);
        long stopping = System.nanoTime();
        operator.close();
        operator = null;
        LOG.info("operator stopped in {} ms", (System.nanoTime() - stopping) / 1_000_000);
        await().atMost(PATIENCE).until(() -> refusedWhileDown.get() >= 1 && jobs.activeNow().isEmpty());
        LOG.info("creations refused while it was down; restarting after {} ms", (System.nanoTime() - stopping) / 1_000_000);
        operator = startOperator();

        await().atMost(PATIENCE).pollInterval(POLL).untilAsserted(() -> {
            List<Job> all = jobs.list();
            assertThat(all).hasSize(20);
            assertThat(all).allSatisfy(job -> assertThat(JobsUnderTest.isFinished(job)).as(job.getMetadata().getName()).isTrue());
        });
        assertThat(jobs.mostActive()).as("the most Jobs active at any poll").isLessThanOrEqualTo(3);
    }

    /** Finishes the active Jobs, round after round, until {@code total} have finished. */
    private static void finishAllInTurn(JobsUnderTest jobs, int total) {
        await().atMost(PATIENCE.multipliedBy(2)).pollInterval(POLL).until(() -> {
            for (Job active : jobs.activeNow()) {
                jobs.complete(active.getMetadata().getName());
            }
            return jobs.list().stream().filter(JobsUnderTest::isFinished).count() == total;
        });
    }

    private void pollActive(JobsUnderTest jobs) {
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();
        poller.scheduleWithFixedDelay(() -> {
            try {
                jobs.activeNow();
            } catch (RuntimeException e) {
                // the next poll tries again
            }
        }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
        running.add(poller::shutdownNow);
    }

    private static String namespaceWithQuota(String namespace, JobQuotaSpec spec) {
        client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName("quota").build());
        quota.setSpec(spec);
        client.resource(quota).create();
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
                assertThat(Conditions.find(quota(namespace).getStatus().conditions(), Conditions.READY).orElseThrow())
                        .satisfies(ready -> {
                            assertThat(ready.getStatus()).isEqualTo("True");
                            assertThat(ready.getReason()).isEqualTo(JobQuotaStatuses.REASON_ENFORCING);
                        }));
        return namespace;
    }

    private static JobQuota quota(String namespace) {
        return client.resources(JobQuota.class).inNamespace(namespace).withName("quota").get();
    }
}
