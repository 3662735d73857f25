package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * What a JobQuota sees and has done, written by the operator only: the Jobs it counts as running
 * and as queued now, how many it admitted and refused since it was created, and the Job that has
 * waited longest.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobQuotaStatus(
        @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,
        @JsonPropertyDescription("Ready (the quota is enforced as written) and Accepted (the spec is valid).")
        List<Condition> conditions,
        @JsonPropertyDescription("Selected Jobs running now: not suspended, not finished.")
        Integer active,
        @JsonPropertyDescription("Selected Jobs suspended by Sluice and waiting for a slot.")
        Integer queued,
        @JsonPropertyDescription("Jobs admitted to run: at creation, or later from the queue.")
        Long admittedTotal,
        @JsonPropertyDescription("Job creations refused: limit reached (Reject), queue full, or failure backoff.")
        Long refusedTotal,
        @JsonPropertyDescription("DryRun: Jobs that would have been queued or refused.")
        Long dryRunOverLimitTotal,
        @JsonPropertyDescription("The Job that has waited longest, and since when.")
        QueuedJob oldestQueued) implements SluiceStatus {

    public JobQuotaStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }

    @Override
    public JobQuotaStatus withConditions(List<Condition> conditions) {
        return new JobQuotaStatus(observedGeneration, conditions, active, queued, admittedTotal, refusedTotal, dryRunOverLimitTotal,
                oldestQueued);
    }

    /** A queued Job and the time it was queued. */
    public record QueuedJob(
            @JsonPropertyDescription("The Job's name.") String name,
            @JsonPropertyDescription("When Sluice queued it (RFC 3339).") String since) {
    }
}
