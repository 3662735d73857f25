package dev.sluice.operator.jobs;

import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaSpec.OnLimit;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QueueOrder;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QuotaMode;
import dev.sluice.operator.render.validation.JobQuotaValidation;
import java.time.Duration;
import java.util.Map;

/**
 * A valid JobQuota, compiled for admission decisions ({@link #of}).
 *
 * @param backoffKeyLabel null without failure backoff
 * @param maxQueued null when the queue is unbounded
 */
public record QuotaRules(
        String name,
        int maxConcurrentJobs,
        LabelSelector jobSelector,
        OnLimit onLimit,
        QueueOrder queueOrder,
        String priorityLabel,
        Integer maxQueued,
        String backoffKeyLabel,
        Duration backoffPeriod,
        QuotaMode mode) {

    /** The rules of a quota that {@link JobQuotaValidation} found valid. */
    public static QuotaRules of(JobQuota quota) {
        JobQuotaSpec spec = quota.getSpec();
        FailureBackoff backoff = spec.failureBackoff();
        return new QuotaRules(quota.getMetadata().getName(), spec.maxConcurrentJobs(), spec.jobSelector(), spec.onLimit(),
                spec.queueOrder(), spec.priorityLabel(), spec.maxQueued(),
                backoff == null ? null : backoff.keyLabel(),
                backoff == null ? null : LimitPeriod.parseDuration(backoff.period()),
                spec.mode());
    }

    /** Whether the quota selects a Job with these labels: never one Kueue manages. */
    public boolean selects(Map<String, String> labels) {
        return !labels.containsKey(JobMarks.KUEUE_QUEUE_NAME) && jobSelector.matches(labels);
    }

    /**
     * Whether the quota decides when the Job may run: it selects the Job, or queued it. A queued Job
     * whose labels are changed so that the quota no longer selects it stays in its queue, rather
     * than being let out as one no quota governs.
     */
    public boolean governs(JobView job) {
        return selects(job.labels()) || job.queuedBySluice() && job.queuedBy().contains(name);
    }

    public boolean enforcing() {
        return mode == QuotaMode.Enforce;
    }

    /** The Job's failure-backoff key (its key label's value), or null when the quota has no backoff or the Job no key. */
    public String backoffKey(Map<String, String> labels) {
        return backoffKeyLabel == null ? null : labels.get(backoffKeyLabel);
    }
}
