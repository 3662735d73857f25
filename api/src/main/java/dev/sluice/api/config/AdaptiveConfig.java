package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A concurrency limit that follows the app's latency, between {@code minLimit} and {@code maxLimit},
 * starting at {@code initialLimit} (default: {@code minLimit}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdaptiveConfig(AdaptiveAlgorithm algorithm, Integer minLimit, Integer maxLimit, Integer initialLimit) {
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
