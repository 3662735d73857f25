package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Jobs of one namespace on the mock API server, where no Job controller runs: the test completes a
 * Job by writing its status, and reads which run from a fresh list, remembering the most it ever saw.
 */
final class MockJobs {
    private final KubernetesClient client;
    private final String namespace;
    private final AtomicInteger mostRunning = new AtomicInteger();

    MockJobs(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /**
     * Creates a Job running a container; with {@code queuedAt}, suspended and labelled queued at that
     * time, as the webhook writes a Job it queues.
     */
    Job create(String name, Instant queuedAt) {
        JobBuilder job = new JobBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("work").withImage("example/work").endContainer().endSpec().endTemplate().endSpec();
        if (queuedAt != null) {
            job.editMetadata().addToLabels(JobMarks.QUEUED_LABEL, "true").addToAnnotations(JobMarks.QUEUED_AT, queuedAt.toString())
                    .addToAnnotations(JobMarks.QUEUED_REASON, "queued for the test").endMetadata()
                    .editSpec().withSuspend(true).endSpec();
        }
        return client.resource(job.build()).create();
    }

    /** Marks the Job complete, as the Job controller would once its pod succeeded. */
    void complete(String name) {
        client.batch().v1().jobs().inNamespace(namespace).withName(name).editStatus(job -> new JobBuilder(job).withNewStatus()
                .addNewCondition().withType("Complete").withStatus("True").endCondition().withSucceeded(1).endStatus().build());
    }

    /** The names of the Jobs running now (not suspended, not finished); records the most seen. */
    List<String> running() {
        List<String> running = client.batch().v1().jobs().inNamespace(namespace).list().getItems().stream()
                .map(JobView::of).filter(JobView::active).map(JobView::name).toList();
        mostRunning.accumulateAndGet(running.size(), Math::max);
        return running;
    }

    /** The most Jobs any {@link #running()} call saw. */
    int mostRunning() {
        return mostRunning.get();
    }
}
