package dev.sluice.operator.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The labels and annotations Sluice puts on the Jobs it holds. A Job is Sluice's to admit only when
 * it carries {@link #QUEUED_LABEL}: a Job its owner created suspended stays the owner's.
 */
public final class JobMarks {
    /** Label {@code "true"} while Sluice holds the Job suspended: {@code kubectl get jobs -l sluice.dev/queued}. */
    public static final String QUEUED_LABEL = "sluice.dev/queued";
    /** When Sluice queued the Job (RFC 3339, sub-second): the FIFO order, strictly increasing per namespace. */
    public static final String QUEUED_AT = "sluice.dev/queued-at";
    /** The JobQuotas that held the Job, comma-separated. */
    public static final String QUEUED_BY = "sluice.dev/queued-by";
    /** Why the Job was queued, as the Queued Event says. */
    public static final String QUEUED_REASON = "sluice.dev/queued-reason";
    /** Failure backoff: the Job may not run before this time (RFC 3339). */
    public static final String NOT_BEFORE = "sluice.dev/not-before";
    /** The Job's priority resolved at creation (from its PriorityClass), for Priority order. */
    public static final String PRIORITY = "sluice.dev/priority";
    /** The admission ticket of a Job admitted at creation; ties the Job to its reservation in the ledger. */
    public static final String TICKET = "sluice.dev/admission-ticket";
    /**
     * On a dry-run Job: the webhook answers it by adding this annotation and decides nothing, which
     * shows that the API server calls the webhook in that namespace already.
     */
    public static final String WEBHOOK_PROBE = "sluice.dev/webhook-probe";
    /** When Sluice admitted a queued Job (RFC 3339, sub-second). */
    public static final String ADMITTED_AT = "sluice.dev/admitted-at";

    /**
     * Kueue's label: a Job created with it is Kueue's to queue and admit, and no JobQuota selects it.
     * Adding it later would hand a Job a quota governs to no one, so that is an admission decision too.
     */
    public static final String KUEUE_QUEUE_NAME = "kueue.x-k8s.io/queue-name";
    /** The annotations that place a queued Job in its queue; only the operator changes them while Sluice holds the Job. */
    public static final List<String> QUEUE_ANNOTATIONS = List.of(QUEUED_AT, QUEUED_BY, QUEUED_REASON, NOT_BEFORE, PRIORITY, TICKET);
    /** The labels only the operator changes while Sluice holds a Job. */
    public static final List<String> QUEUE_LABELS = List.of(QUEUED_LABEL, KUEUE_QUEUE_NAME);

    private JobMarks() {
    }

    /** Which of Sluice's marks (and {@code spec.suspend}) differ between the two versions of a Job, by name. */
    public static List<String> changed(JobView before, JobView after) {
        List<String> changed = new ArrayList<>();
        if (before.suspended() != after.suspended()) {
            changed.add("spec.suspend");
        }
        QUEUE_LABELS.stream().filter(key -> !Objects.equals(before.labels().get(key), after.labels().get(key)))
                .forEach(key -> changed.add("label " + key));
        QUEUE_ANNOTATIONS.stream().filter(key -> !Objects.equals(before.annotations().get(key), after.annotations().get(key)))
                .forEach(key -> changed.add("annotation " + key));
        return changed;
    }
}
