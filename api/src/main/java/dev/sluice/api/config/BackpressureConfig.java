package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A policy's protection against overload: a cap on requests in flight with a bounded wait queue
 * ({@code concurrency}), shedding of lower priorities first as the cap fills ({@code shedding}), and a
 * cap that follows the app's latency ({@code adaptive}). With both caps, the lower one holds.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.concurrency) || has(self.adaptive)",
        message = "needs concurrency or adaptive: shedding works on the utilisation of a concurrency limit")
public record BackpressureConfig(
        @JsonPropertyDescription("A fixed cap on requests in flight, with a bounded wait queue.")
        ConcurrencyConfig concurrency,
        @JsonPropertyDescription("Priority-based load shedding: lower priorities are shed first as utilisation rises.")
        SheddingConfig shedding,
        @JsonPropertyDescription("A concurrency cap that adapts to the upstream's latency.")
        AdaptiveConfig adaptive) {
}
