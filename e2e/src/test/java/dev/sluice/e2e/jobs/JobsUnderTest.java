package dev.sluice.e2e.jobs;

import static org.awaitility.Awaitility.await;

import dev.sluice.e2e.TestCluster;
import dev.sluice.operator.jobs.JobMarks;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Jobs in a namespace of the real cluster, each running a real container (busybox, as non-root on a
 * read-only root filesystem) that the Job controller runs and whose status it writes. A held Job's
 * container waits until the test finishes it ({@link #complete}, {@link #fail}: through
 * {@code kubectl exec}, the container exits 0 or 1); a sleeping Job's container sleeps a few seconds.
 */
public final class JobsUnderTest {
    /** The container of every Job: its name, and the label the Job controller puts on the Job's pods. */
    static final String CONTAINER = "work";
    private static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
    /** A held container waits on a named pipe for its exit code: no polling, no CPU while it waits. */
    private static final String HOLD = "mkfifo /tmp/finish && read code < /tmp/finish && exit \"$code\"";
    private static final Duration PATIENCE = Duration.ofMinutes(5);

    private final KubernetesClient client;
    private final String namespace;
    /** The most Jobs seen active at once by any {@link #activeNow} call. */
    private final AtomicInteger mostActive = new AtomicInteger();

    public JobsUnderTest(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** A held Job: its container runs until the test finishes it. */
    public static Job job(String name, Map<String, String> labels) {
        return job(name, labels, "sh", "-c", HOLD);
    }

    /** A Job whose container sleeps {@code seconds} and exits 0. */
    static Job sleeping(String name, Map<String, String> labels, int seconds) {
        return job(name, labels, "sleep", String.valueOf(seconds));
    }

    private static Job job(String name, Map<String, String> labels, String... command) {
        return new JobBuilder()
                .withNewMetadata().withName(name).addToLabels(labels).endMetadata()
                .withNewSpec().withBackoffLimit(0)
                .withNewTemplate().withNewSpec().withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(65534L).withRunAsGroup(65534L).endSecurityContext()
                .addNewContainer().withName(CONTAINER).withImage(TestCluster.BUSYBOX).withCommand(command)
                .withNewSecurityContext().withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().endTemplate().endSpec()
                .build();
    }

    /** Creates a held Job; returns it as the API server stored it (after the admission webhooks). */
    public Job create(String name, Map<String, String> labels) {
        return create(job(name, labels));
    }

    Job create(Job job) {
        return client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
    }

    public Job get(String name) {
        return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
    }

    List<Job> list() {
        return client.batch().v1().jobs().inNamespace(namespace).list().getItems();
    }

    /** The pods the Job controller created for the Jobs of the namespace. */
    List<Pod> pods() {
        return client.pods().inNamespace(namespace).withLabel(JOB_NAME_LABEL).list().getItems();
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

    public static boolean isActive(Job job) {
        return !Boolean.TRUE.equals(job.getSpec().getSuspend()) && !isFinished(job);
    }

    static boolean isFinished(Job job) {
        return isFinished(job, "Complete") || isFinished(job, "Failed");
    }

    static boolean isComplete(Job job) {
        return isFinished(job, "Complete");
    }

    private static boolean isFinished(Job job, String condition) {
        return job.getStatus() != null && job.getStatus().getConditions() != null && job.getStatus().getConditions().stream()
                .anyMatch(c -> condition.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    public static boolean isQueued(Job job) {
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

    /** Lets a held Job's container exit 0 once it runs, and waits for the Job controller to mark the Job Complete. */
    void complete(String name) {
        finish(name, 0);
    }

    /** Lets a held Job's container exit 1 once it runs, and waits for the Job controller to mark the Job (backoffLimit 0) Failed. */
    void fail(String name) {
        finish(name, 1);
    }

    /**
     * Lets a held Job's container exit 0 once it runs, without waiting for the Job controller to mark the
     * Job Complete (it does a few seconds later); nothing to do when the container already exited.
     */
    void release(String name) {
        exit(name, 0);
    }

    private void finish(String name, int exitCode) {
        exit(name, exitCode);
        await("Job " + name + " finished").atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> isFinished(get(name)));
    }

    /**
     * Writes the exit code into the held container's pipe; nothing to do when its container already
     * exited. The exec is cut short (137) when the container exits as it reads the code, before the
     * kubelet reports the exit, and is refused (HTTP 500) while a container is exiting: after an exec
     * that did not end with 0, what counts is that the container exits; if it still runs after a
     * while, the exec never reached it, and the code is written again.
     */
    private void exit(String name, int exitCode) {
        Instant giveUp = Instant.now().plus(PATIENCE);
        while (true) {
            Pod pod = await("the container of Job " + name + " running").atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> podOf(name), found -> found != null && (isRunning(found) || hasExited(found)));
            if (hasExited(pod)) {
                return;
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exec = exec(pod, "until [ -p /tmp/finish ]; do sleep 0.1; done; echo " + exitCode + " > /tmp/finish", output);
            if (exec == 0) {
                return;
            }
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> hasExited(podOf(name)));
                return;
            } catch (ConditionTimeoutException stillRunning) {
                if (Instant.now().isAfter(giveUp)) {
                    throw new IllegalStateException("could not finish Job " + name + " (exec exit " + exec + "): " + output);
                }
            }
        }
    }

    /** Runs {@code script} in the Job container of {@code pod}; its exit code, or -1 when the exec itself failed. */
    private int exec(Pod pod, String script, ByteArrayOutputStream output) {
        try (ExecWatch watch = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).inContainer(CONTAINER)
                .writingOutput(output).writingError(output).exec("sh", "-c", script)) {
            return watch.exitCode().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | KubernetesClientException e) {
            output.writeBytes(e.toString().getBytes(StandardCharsets.UTF_8));
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The pod of Job {@code name} (backoffLimit 0: at most one), or null. */
    private Pod podOf(String name) {
        return client.pods().inNamespace(namespace).withLabel(JOB_NAME_LABEL, name).list().getItems().stream()
                .max(Comparator.comparing(pod -> pod.getMetadata().getCreationTimestamp())).orElse(null);
    }

    private static boolean isRunning(Pod pod) {
        return state(pod) != null && state(pod).getRunning() != null;
    }

    private static boolean hasExited(Pod pod) {
        return pod == null || state(pod) != null && state(pod).getTerminated() != null;
    }

    private static ContainerState state(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return null;
        }
        return pod.getStatus().getContainerStatuses().stream().filter(status -> CONTAINER.equals(status.getName()))
                .map(status -> status.getState()).findFirst().orElse(null);
    }
}
