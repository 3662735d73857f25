package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuotaSpec;
import java.util.Comparator;

/**
 * The order in which a quota admits its queued Jobs: FIFO by the time Sluice queued them, or by
 * priority (highest first) and FIFO among equals; the name breaks the last ties so that every
 * replica and every restart agrees.
 */
public final class QueueOrder {
    private QueueOrder() {
    }

    public static Comparator<JobView> of(QuotaRules quota) {
        Comparator<JobView> fifo = Comparator.comparing(JobView::queuedAt).thenComparing(JobView::name);
        if (quota.queueOrder() != JobQuotaSpec.QueueOrder.Priority) {
            return fifo;
        }
        return Comparator.comparingLong((JobView job) -> priority(job, quota)).reversed().thenComparing(fifo);
    }

    /** The Job's priority: its {@code priorityLabel} when the quota names one, else what was resolved from its PriorityClass; 0 when unknown. */
    public static long priority(JobView job, QuotaRules quota) {
        String value = quota.priorityLabel() != null ? job.labels().get(quota.priorityLabel()) : job.annotations().get(JobMarks.PRIORITY);
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
