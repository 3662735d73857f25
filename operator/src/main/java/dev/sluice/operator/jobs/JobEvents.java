package dev.sluice.operator.jobs;

import dev.sluice.operator.status.EventRecorder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;

/** The Events Sluice records on Jobs: Queued, Admitted, Refused, and a DryRun quota's WouldQueue / WouldRefuse. */
public final class JobEvents {
    public static final String QUEUED = "Queued";
    public static final String ADMITTED = "Admitted";
    public static final String REFUSED = "Refused";
    public static final String WOULD_QUEUE = "WouldQueue";
    public static final String WOULD_REFUSE = "WouldRefuse";

    private final EventRecorder recorder;

    public JobEvents(EventRecorder recorder) {
        this.recorder = recorder;
    }

    public void queued(Job job, String message) {
        recorder.record(job, EventRecorder.NORMAL, QUEUED, message);
    }

    public void admitted(Job job, String message) {
        recorder.record(job, EventRecorder.NORMAL, ADMITTED, message);
    }

    /** On a Job whose creation was refused: it has no uid, so the Event names it only (kubectl get events shows it). */
    public void refused(Job job, String message) {
        recorder.record(reference(job), EventRecorder.WARNING, REFUSED, message);
    }

    public void dryRun(Job job, boolean wouldQueue, String message) {
        recorder.record(reference(job), EventRecorder.NORMAL, wouldQueue ? WOULD_QUEUE : WOULD_REFUSE, "DryRun: " + message);
    }

    private static Job reference(Job job) {
        String name = job.getMetadata().getName() != null ? job.getMetadata().getName() : job.getMetadata().getGenerateName();
        return new JobBuilder()
                .withNewMetadata().withName(name).withNamespace(job.getMetadata().getNamespace()).withUid(job.getMetadata().getUid()).endMetadata()
                .build();
    }
}
