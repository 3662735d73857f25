package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Retries: at most {@code maxAttempts} calls in all, waiting {@code backoffBase · 2^(retry-1)} (at most
 * {@code backoffMax}, drawn at random below it with {@code jitter}) between them; only for
 * {@code retryOn} statuses and connection failures, only for {@code methods} (the idempotent ones by
 * default), only for bodies of at most {@code maxBodyBytes} (buffered to be sent again), never once the
 * response has started, and only while retries stay within {@code budgetPercent} of the requests of the
 * last 10 seconds plus {@code minRetriesPerSecond}, so that retries cannot multiply the load on a
 * struggling upstream.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RetryConfig(
        Integer maxAttempts,
        String backoffBase,
        String backoffMax,
        Boolean jitter,
        List<Integer> retryOn,
        List<String> methods,
        Integer budgetPercent,
        Integer minRetriesPerSecond,
        Integer maxBodyBytes) {

    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final int MAX_ATTEMPTS = 10;
    public static final String DEFAULT_BACKOFF_BASE = "100ms";
    public static final String DEFAULT_BACKOFF_MAX = "3200ms";
    public static final int DEFAULT_BUDGET_PERCENT = 20;
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 1;
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    public static final List<Integer> DEFAULT_RETRY_ON = List.of(502, 503, 504);
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");

    public RetryConfig {
        maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
        backoffBase = backoffBase == null ? DEFAULT_BACKOFF_BASE : backoffBase;
        backoffMax = backoffMax == null ? DEFAULT_BACKOFF_MAX : backoffMax;
        jitter = jitter == null ? Boolean.TRUE : jitter;
        retryOn = retryOn == null ? DEFAULT_RETRY_ON : List.copyOf(retryOn);
        methods = methods == null ? DEFAULT_METHODS : List.copyOf(methods);
        budgetPercent = budgetPercent == null ? DEFAULT_BUDGET_PERCENT : budgetPercent;
        minRetriesPerSecond = minRetriesPerSecond == null ? DEFAULT_MIN_RETRIES_PER_SECOND : minRetriesPerSecond;
        maxBodyBytes = maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
    }

    public static RetryConfig defaults() {
        return new RetryConfig(null, null, null, null, null, null, null, null, null);
    }
}
