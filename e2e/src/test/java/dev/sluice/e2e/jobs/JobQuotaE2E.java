package dev.sluice.e2e.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.e2e.ClusterExtension;
import dev.sluice.e2e.OperatorDeployment;
import dev.sluice.e2e.TestCluster;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobQuotaStatuses;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobQuota on the real cluster: the operator runs in its pods (helm install of charts/sluice: two replicas, one leading) and serves its
 * Job admission webhook over TLS behind its Service, and the API server calls it for every Job created
 * in a namespace under a JobQuota. Jobs run real containers, and the Job controller finishes them:
 * sleeping ones after a few seconds, held ones when the test lets their container exit. How many ran
 * at once is computed from the containers' own start and finish times; every poll of the Jobs is a
 * fresh list from the API server.
 */
@ExtendWith(ClusterExtension.class)
class JobQuotaE2E {
    private static final Logger LOG = LoggerFactory.getLogger(JobQuotaE2E.class);
    private static final Duration PATIENCE = Duration.ofMinutes(5);
    private static final Duration POLL = Duration.ofMillis(50);
    /** A burst: this many Jobs created at once, each a container sleeping a few seconds, at most five at a time. */
    private static final int BURST = 60;
    private static final int BURST_SECONDS = 2;

    static KubernetesClient client;
    static OperatorDeployment operator;
    private final List<AutoCloseable> running = new ArrayList<>();

    @BeforeAll
    static void installOperator(TestCluster cluster) {
        client = cluster.client();
        operator = cluster.operator();
    }

    @AfterEach
    void stopBackgroundWork() throws Exception {
        for (AutoCloseable work : running) {
            work.close();
        }
        operator.ensureRunning();
    }

    /**
     * Also {@code helm upgrade} with a changed value mid-run: the Deployment rolls the operator (the new
     * pod Ready before the old one goes, which gives the Lease up as it stops), and the Jobs keep their
     * order and their maximum, and the ledger its count, across the change of leader.
     */
    @Test
    void sixtyJobsCreatedAtOnceUnderAMaximumOfFiveNeverRunMoreThanFiveAndRunInOrderThroughAHelmUpgrade() throws Exception {
        String namespace = namespaceWithQuota("jq-burst", JobQuotaSpec.of(5));
        JobsUnderTest jobs = new JobsUnderTest(client, namespace);
        pollActive(jobs);

        List<Job> created = createAtOnce(jobs, "burst");
        for (Job job : created) {
            assertThat(job.getMetadata().getAnnotations()).containsKey(JobMarks.TICKET);
        }
        // as the webhook decided each creation: five run, the rest are queued
        assertThat(created.stream().filter(JobsUnderTest::isActive)).hasSize(5);
        assertThat(created.stream().filter(JobsUnderTest::isQueued)).hasSize(BURST - 5);
        List<String> queueOrder = JobsUnderTest.byQueuedAt(created);
        assertThat(queueOrder).hasSize(BURST - 5);
        Job queued = created.stream().filter(job -> job.getMetadata().getName().equals(queueOrder.get(0))).findFirst().orElseThrow();
        assertThat(queued.getSpec().getSuspend()).isTrue();
        assertThat(queued.getMetadata().getAnnotations().get(JobMarks.QUEUED_REASON))
                .isEqualTo("concurrent job limit reached (5/5) in namespace jq-burst; queued until a running Job finishes (JobQuota quota)");

        // Before the upgrade replaces the pods that decided them: the replicas' own counts.
        await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(operator.metrics())
                .contains("concurrent_jobs_active{namespace=\"jq-burst\"}")
                .contains("sluice_job_admission_duration_seconds_count{outcome=\"queue\"}"));
        await("a quarter of the Jobs complete").atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> jobs.list().stream().filter(JobsUnderTest::isComplete).count() >= BURST / 4);
        Set<String> before = operator.pods().stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
        long upgrading = System.nanoTime();
        operator.upgrade("--set", "logging.format=json");
        List<Job> atUpgrade = jobs.list();
        LOG.info("helm upgrade rolled the operator in {} ms; then {} Jobs complete, {} running, {} queued",
                (System.nanoTime() - upgrading) / 1_000_000, atUpgrade.stream().filter(JobsUnderTest::isComplete).count(),
                atUpgrade.stream().filter(JobsUnderTest::isActive).count(), atUpgrade.stream().filter(JobsUnderTest::isQueued).count());
        assertThat(operator.awaitReadyPods(OperatorDeployment.REPLICAS))
                .as("the operator's pods after the upgrade: none of those before it (%s)", before)
                .noneMatch(pod -> before.contains(pod.getMetadata().getName()));

        awaitAllComplete(jobs);

        assertRanOnceEachAndAtMostFiveAtOnce(jobs);
        assertThat(JobsUnderTest.byAdmittedAt(jobs.list())).as("queued Jobs run in the order they were queued").isEqualTo(queueOrder);
        await().atMost(PATIENCE).untilAsserted(() -> {
            JobQuotaStatus status = quota(namespace).getStatus();
            assertThat(status.active()).isZero();
            assertThat(status.queued()).isZero();
            assertThat(status.admittedTotal()).isEqualTo(BURST);
        });
        assertThat(client.v1().events().inNamespace(namespace).list().getItems())
                .anySatisfy(event -> assertThat(event.getReason()).isEqualTo("Queued"))
                .anySatisfy(event -> {
                    assertThat(event.getReason()).isEqualTo("Admitted");
                    assertThat(event.getMessage()).startsWith("admitted by JobQuota quota after waiting");
                });
    }

    @Test
    void sixtyJobsWithTheOperatorPodForceDeletedMidRunNeverRunMoreThanFiveAndAllComplete() throws Exception {
        String namespace = namespaceWithQuota("jq-forced", JobQuotaSpec.of(5));
        JobsUnderTest jobs = new JobsUnderTest(client, namespace);
        pollActive(jobs);
        createAtOnce(jobs, "forced");

        await("a quarter of the Jobs complete").atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> jobs.list().stream().filter(JobsUnderTest::isComplete).count() >= BURST / 4);
        Set<String> deleted = operator.forceDeletePods();
        List<Job> atDeletion = jobs.list();
        LOG.info("operator pod {} force-deleted with {} Jobs complete, {} running, {} queued", deleted,
                atDeletion.stream().filter(JobsUnderTest::isComplete).count(), atDeletion.stream().filter(JobsUnderTest::isActive).count(),
                atDeletion.stream().filter(JobsUnderTest::isQueued).count());

        awaitAllComplete(jobs);

        assertRanOnceEachAndAtMostFiveAtOnce(jobs);
        operator.awaitReadyPod(deleted);
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
        Instant failing = Instant.now();
        refused.fail("etl-1");
        assertThatThrownBy(() -> refused.create("etl-2", Map.of("example.com/run", "etl")))
                .hasMessageContaining("a Job with example.com/run=etl failed")
                .hasMessageContaining("the failure backoff is 1h (JobQuota quota)")
                .satisfies(refusal -> assertThat(retryAfter(refusal.getMessage()))
                        .as("the time the refusal says the retry may run: an hour after the failure")
                        .isBetween(failing.plus(Duration.ofHours(1)).minusSeconds(2), Instant.now().plus(Duration.ofHours(1))));
    }

    /** The instant after "; retry after " in a refusal. */
    private static Instant retryAfter(String message) {
        Matcher retry = Pattern.compile("; retry after (\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z)").matcher(message);
        assertThat(retry.find()).as("a retry time in: %s", message).isTrue();
        return Instant.parse(retry.group(1));
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
                // creations keep coming while the operator stops: a real pod takes seconds to go
                Thread.sleep(500);
            }
            return null;
        });
        background.submit(() -> {
            while (!stop.get()) {
                for (Job active : jobs.activeNow()) {
                    try {
                        jobs.release(active.getMetadata().getName());
                    } catch (RuntimeException e) {
                        LOG.warn("could not finish Job {} this round: {}", active.getMetadata().getName(), e.toString());
                    }
                }
                Thread.sleep(150);
            }
            return null;
        });

        await().atMost(PATIENCE).until(() -> createdCount.get() >= 8);
        long stopping = System.nanoTime();
        operator.stop();
        LOG.info("operator stopped in {} ms", (System.nanoTime() - stopping) / 1_000_000);
        await().atMost(PATIENCE).until(() -> refusedWhileDown.get() >= 1 && jobs.activeNow().isEmpty());
        LOG.info("creations refused while it was down; restarting after {} ms", (System.nanoTime() - stopping) / 1_000_000);
        operator.start();

        await().atMost(PATIENCE).pollInterval(POLL).untilAsserted(() -> {
            List<Job> all = jobs.list();
            assertThat(all).hasSize(20);
            assertThat(all).allSatisfy(job -> assertThat(JobsUnderTest.isFinished(job)).as(job.getMetadata().getName()).isTrue());
        });
        assertThat(jobs.mostActive()).as("the most Jobs active at any poll").isLessThanOrEqualTo(3);
    }

    /** Creates {@value #BURST} sleeping Jobs from 16 threads at once; returns them as the API server stored them. */
    private List<Job> createAtOnce(JobsUnderTest jobs, String prefix) throws Exception {
        ExecutorService creators = Executors.newFixedThreadPool(16);
        running.add(creators::shutdownNow);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Job>> creations = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            Job job = JobsUnderTest.sleeping(String.format("%s-%02d", prefix, i), Map.of("app", "batch"), BURST_SECONDS);
            creations.add(creators.submit(() -> {
                go.await();
                return jobs.create(job);
            }));
        }
        long started = System.nanoTime();
        go.countDown();
        List<Job> created = new ArrayList<>();
        for (Future<Job> creation : creations) {
            created.add(creation.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        }
        LOG.info("{} Jobs created in {} ms", BURST, (System.nanoTime() - started) / 1_000_000);
        return created;
    }

    private static void awaitAllComplete(JobsUnderTest jobs) {
        long started = System.nanoTime();
        await("all " + BURST + " Jobs complete").atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            List<Job> all = jobs.list();
            assertThat(all).hasSize(BURST);
            assertThat(all).allSatisfy(job -> assertThat(JobsUnderTest.isComplete(job)).as(job.getMetadata().getName()).isTrue());
        });
        LOG.info("{} Jobs complete {} ms after the last creation", BURST, (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Each Job ran its container once, successfully (one pod per Job, no restart, exit 0), and, by the
     * containers' own start and finish times, never more than five ran at once; nor did any poll see
     * more than five Jobs active.
     */
    private static void assertRanOnceEachAndAtMostFiveAtOnce(JobsUnderTest jobs) {
        List<Pod> pods = jobs.pods();
        assertThat(pods).extracting(pod -> pod.getMetadata().getLabels().get("batch.kubernetes.io/job-name"))
                .as("one pod per Job").doesNotHaveDuplicates().hasSize(BURST);
        assertThat(pods).allSatisfy(pod -> assertThat(pod.getStatus().getContainerStatuses()).singleElement().satisfies(container -> {
            assertThat(container.getRestartCount()).isZero();
            assertThat(container.getState().getTerminated().getExitCode()).isZero();
        }));
        List<RunningAtOnce.Run> runs = RunningAtOnce.runs(pods, JobsUnderTest.CONTAINER);
        int peak = RunningAtOnce.peak(runs);
        LOG.info("at most {} of {} containers ran at once, from {} to {}", peak, runs.size(),
                runs.stream().map(RunningAtOnce.Run::startedAt).min(Instant::compareTo).orElseThrow(),
                runs.stream().map(RunningAtOnce.Run::finishedAt).max(Instant::compareTo).orElseThrow());
        assertThat(peak).as("containers running at once (from their startedAt/finishedAt)").isLessThanOrEqualTo(5);
        assertThat(jobs.mostActive()).as("the most Jobs active at any poll").isLessThanOrEqualTo(5);
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
