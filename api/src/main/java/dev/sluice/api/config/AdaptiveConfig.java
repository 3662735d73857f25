package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A concurrency limit that follows the app's latency, between {@code minLimit} and {@code maxLimit},
 * starting at {@code initialLimit} (default: {@code minLimit}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.minLimit <= self.maxLimit", message = "minLimit must not be above maxLimit", fieldPath = ".minLimit")
@ValidationRule(value = "!has(self.initialLimit) || (self.minLimit <= self.initialLimit && self.initialLimit <= self.maxLimit)",
        message = "initialLimit must lie between minLimit and maxLimit", fieldPath = ".initialLimit")
public record AdaptiveConfig(
        @JsonPropertyDescription("Gradient (latency gradient against the minimum seen) or Vegas (queueing estimate).")
        @Default("Gradient")
        AdaptiveAlgorithm algorithm,
        @JsonPropertyDescription("The lowest the limit goes.")
        @Default("" + AdaptiveConfig.DEFAULT_MIN_LIMIT) @Min(1)
        Integer minLimit,
        @JsonPropertyDescription("The highest the limit goes.")
        @Required @Min(1) @Max(AdaptiveConfig.MAX_LIMIT)
        Integer maxLimit,
        @JsonPropertyDescription("The limit at start (default: minLimit).")
        @Min(1)
        Integer initialLimit) {
    public static final int DEFAULT_MIN_LIMIT = 1;
    public static final int MAX_LIMIT = 100_000;

    public AdaptiveConfig {
        algorithm = algorithm == null ? AdaptiveAlgorithm.Gradient : algorithm;
        minLimit = minLimit == null ? DEFAULT_MIN_LIMIT : minLimit;
    }

    public int effectiveInitialLimit() {
        return initialLimit == null ? minLimit : initialLimit;
    }
}
