package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.Syntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * What a JobQuota asks for. Jobs are held with the Job API's own {@code spec.suspend}, as Kueue
 * does, so that no pod of a queued Job starts. Defaults are the constants below.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.priorityLabel) || self.queueOrder == 'Priority'",
        message = "priorityLabel applies only to queueOrder Priority")
@ValidationRule(value = "!has(self.maxQueued) || self.onLimit == 'Queue'",
        message = "maxQueued applies only to onLimit Queue")
public record JobQuotaSpec(
        @JsonPropertyDescription("The most selected Jobs of the namespace that may run (not suspended, not finished) at once.")
        @Default("" + JobQuotaSpec.DEFAULT_MAX_CONCURRENT_JOBS) @Min(1)
        Integer maxConcurrentJobs,
        @JsonPropertyDescription("The Jobs this quota counts and holds, by label; empty selects every Job of the namespace.")
        LabelSelector jobSelector,
        @JsonPropertyDescription("At the limit: Queue creates new Jobs suspended and admits them in order; Reject refuses their creation.")
        @Default("Queue")
        OnLimit onLimit,
        @JsonPropertyDescription("The order queued Jobs are admitted in: FIFO, or Priority (highest first, FIFO among equals).")
        @Default("FIFO")
        QueueOrder queueOrder,
        @JsonPropertyDescription("Priority order only: the Job label holding an integer priority. Without it, the value of the"
                + " PriorityClass named by the Job's pod template.")
        @Pattern(Syntax.LABEL_KEY_PATTERN)
        String priorityLabel,
        @JsonPropertyDescription("Queue only: the most Jobs that may wait; beyond it creation is refused. Unbounded when absent.")
        @Min(0)
        Integer maxQueued,
        @JsonPropertyDescription("Holds back a Job whose key (a label) failed less than a period ago.")
        FailureBackoff failureBackoff,
        @JsonPropertyDescription("Enforce holds or refuses Jobs; DryRun only reports (Events, status, metrics) what it would do.")
        @Default("Enforce")
        QuotaMode mode) {

    public static final int DEFAULT_MAX_CONCURRENT_JOBS = 10;

    public JobQuotaSpec {
        maxConcurrentJobs = maxConcurrentJobs == null ? DEFAULT_MAX_CONCURRENT_JOBS : maxConcurrentJobs;
        jobSelector = jobSelector == null ? LabelSelector.everything() : jobSelector;
        onLimit = onLimit == null ? OnLimit.Queue : onLimit;
        queueOrder = queueOrder == null ? QueueOrder.FIFO : queueOrder;
        mode = mode == null ? QuotaMode.Enforce : mode;
    }

    /** A quota of {@code max} Jobs with every other field at its default. */
    public static JobQuotaSpec of(int max) {
        return new JobQuotaSpec(max, null, null, null, null, null, null, null);
    }

    /** What happens to a new Job at the limit. */
    public enum OnLimit {
        Queue, Reject
    }

    /** The order in which queued Jobs are admitted. */
    public enum QueueOrder {
        FIFO, Priority
    }

    /** Whether the quota acts or only reports. */
    public enum QuotaMode {
        Enforce, DryRun
    }
}
