package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Protection against overload beyond request rates: a cap on requests in flight with a bounded wait
 * queue, shedding of low-priority requests as utilisation rises, and a cap that adapts to latency.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.concurrency) || has(self.adaptive)",
        message = "needs concurrency or adaptive: shedding works on the utilisation of a concurrency limit")
public record Backpressure(
        @JsonPropertyDescription("A fixed cap on requests in flight, with a bounded wait queue.")
        ConcurrencyLimit concurrency,
        @JsonPropertyDescription("Priority-based load shedding: lower priorities are shed first as utilisation rises.")
        LoadShedding shedding,
        @JsonPropertyDescription("A concurrency cap that adapts to the upstream's latency.")
        AdaptiveConcurrency adaptive) {
}
