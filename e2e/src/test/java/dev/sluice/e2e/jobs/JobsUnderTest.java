package dev.sluice.e2e.jobs;

import dev.sluice.operator.jobs.JobMarks;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Jobs in a namespace of a real API server where no Job controller runs: created, listed, and
 * finished by writing their status as the Job controller would.
 */
final class JobsUnderTest {
    private final KubernetesClient client;
    private final String namespace;
    /** The most Jobs seen active at once by any {@link #activeNow} call. */
    private final AtomicInteger mostActive = new AtomicInteger();

    JobsUnderTest(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    static Job job(String name, Map<String, String> labels) {
        return new JobBuilder()
                .withNewMetadata().withName(name).addToLabels(labels).endMetadata()
                .withNewSpec().withBackoffLimit(0)
                .withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("work").withImage("registry.invalid/work:1").withCommand("true").endContainer()
                .endSpec().endTemplate().endSpec()
                .build();
    }

    Job create(String name, Map<String, String> labels) {
        return client.batch().v1().jobs().inNamespace(namespace).resource(job(name, labels)).create();
    }

    /** Creates the Job, trying again while the API server refuses because the webhook cannot be reached. */
    Job createRetrying(String name) throws InterruptedException {
        while (true) {
            try {
                return create(name, Map.of());
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    return get(name);
                }
                Thread.sleep(200);
            }
        }
    }

    Job get(String name) {
        return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
    }

    List<Job> list() {
        return client.batch().v1().jobs().inNamespace(namespace).list().getItems();
    }

    /** The Jobs active now (not suspended, not finished), from a fresh list; records the most seen. */
    List<Job> activeNow() {
        List<Job> active = list().stream().filter(JobsUnderTest::isActive).toList();
        mostActive.accumulateAndGet(active.size(), Math::max);
        return active;
    }

    int mostActive() {
        return mostActive.get();
    }

    static boolean isActive(Job job) {
        return !Boolean.TRUE.equals(job.getSpec().getSuspend()) && !isFinished(job);
    }

    static boolean isFinished(Job job) {
        return job.getStatus() != null && job.getStatus().getConditions() != null && job.getStatus().getConditions().stream()
                .anyMatch(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus()));
    }

    static boolean isQueued(Job job) {
        return Boolean.TRUE.equals(job.getSpec().getSuspend()) && job.getMetadata().getLabels() != null
                && "true".equals(job.getMetadata().getLabels().get(JobMarks.QUEUED_LABEL));
    }

    /** The queued Jobs in the order Sluice queued them. */
    static List<String> byQueuedAt(List<Job> jobs) {
        return jobs.stream().filter(job -> job.getMetadata().getAnnotations().containsKey(JobMarks.QUEUED_AT))
                .sorted(Comparator.comparing((Job job) -> Instant.parse(job.getMetadata().getAnnotations().get(JobMarks.QUEUED_AT))))
                .map(job -> job.getMetadata().getName()).toList();
    }

    /** The Jobs admitted from the queue, in the order Sluice admitted them. */
    static List<String> byAdmittedAt(List<Job> jobs) {
        return jobs.stream().filter(job -> job.getMetadata().getAnnotations() != null
                        && job.getMetadata().getAnnotations().containsKey(JobMarks.ADMITTED_AT))
                .sorted(Comparator.comparing((Job job) -> Instant.parse(job.getMetadata().getAnnotations().get(JobMarks.ADMITTED_AT)))
                        .thenComparing(job -> Instant.parse(job.getMetadata().getAnnotations().get(JobMarks.QUEUED_AT))))
                .map(job -> job.getMetadata().getName()).toList();
    }

    void complete(String name) {
        finish(name, true);
    }

    void fail(String name) {
        finish(name, false);
    }

    /** Writes the status the Job controller writes when a Job succeeds or fails (its status subresource). */
    private void finish(String name, boolean succeeded) {
        for (int attempt = 0; ; attempt++) {
            Job job = get(name);
            String now = Instant.now().toString();
            JobStatusBuilder status = new JobStatusBuilder().withStartTime(now);
            if (succeeded) {
                status.withSucceeded(1).withCompletionTime(now)
                        .addNewCondition().withType("SuccessCriteriaMet").withStatus("True").withReason("CompletionsReached")
                        .withLastTransitionTime(now).withLastProbeTime(now).endCondition()
                        .addNewCondition().withType("Complete").withStatus("True").withReason("CompletionsReached")
                        .withLastTransitionTime(now).withLastProbeTime(now).endCondition();
            } else {
                status.withFailed(1)
                        .addNewCondition().withType("FailureTarget").withStatus("True").withReason("BackoffLimitExceeded")
                        .withLastTransitionTime(now).withLastProbeTime(now).endCondition()
                        .addNewCondition().withType("Failed").withStatus("True").withReason("BackoffLimitExceeded")
                        .withLastTransitionTime(now).withLastProbeTime(now).endCondition();
            }
            job.setStatus(status.build());
            try {
                client.batch().v1().jobs().inNamespace(namespace).resource(job).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 20) {
                    throw e;
                }
            }
        }
    }
}
