package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
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
