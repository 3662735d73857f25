package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * At most {@code maxConcurrent} requests in flight; up to {@code queueSize} more wait, each at most
 * {@code maxWait}, for a slot; the rest are refused with 503.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConcurrencyConfig(Integer maxConcurrent, Integer queueSize, String maxWait) {
    public static final int DEFAULT_QUEUE_SIZE = 0;
    public static final String DEFAULT_MAX_WAIT = "100ms";
    public static final int MAX_QUEUE_SIZE = 100_000;

    public ConcurrencyConfig {
        queueSize = queueSize == null ? DEFAULT_QUEUE_SIZE : queueSize;
        maxWait = maxWait == null ? DEFAULT_MAX_WAIT : maxWait;
    }
}
