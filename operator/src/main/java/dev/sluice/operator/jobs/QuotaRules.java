package dev.sluice.operator.jobs;

import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.v1alpha1.JobQuotaSpec.OnLimit;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QueueOrder;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QuotaMode;
import java.time.Duration;
import java.util.Map;

/**
 * A valid JobQuota, compiled for admission decisions ({@link JobQuotaValidator#compile}).
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

    public boolean selects(Map<String, String> labels) {
        return jobSelector.matches(labels);
    }

    public boolean enforcing() {
        return mode == QuotaMode.Enforce;
    }

    /** The Job's failure-backoff key (its key label's value), or null when the quota has no backoff or the Job no key. */
    public String backoffKey(Map<String, String> labels) {
        return backoffKeyLabel == null ? null : labels.get(backoffKeyLabel);
    }
}
