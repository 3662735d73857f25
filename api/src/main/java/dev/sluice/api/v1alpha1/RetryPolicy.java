package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.RetryConfig;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Retries: at most {@code maxAttempts} calls in all, waiting an exponentially growing backoff with
 * jitter between them, only for {@code retryOn} statuses and {@code methods} (idempotent ones by
 * default), and only while retries stay within {@code budgetPercent} of requests, so that retries
 * cannot multiply the load on a struggling upstream.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "duration(self.backoffBase) <= duration(self.backoffMax)",
        message = "backoffBase must not be longer than backoffMax", fieldPath = ".backoffBase")
public record RetryPolicy(
        @JsonPropertyDescription("Calls in all, the first included.")
        @Default("" + RetryPolicy.DEFAULT_MAX_ATTEMPTS) @Min(2) @Max(10)
        Integer maxAttempts,
        @JsonPropertyDescription("The wait before the first retry; each further retry doubles it, e.g. 100ms.")
        @Default(RetryPolicy.DEFAULT_BACKOFF_BASE) @Pattern(Durations.PATTERN)
        String backoffBase,
        @JsonPropertyDescription("The longest wait between retries, e.g. 3200ms.")
        @Default(RetryPolicy.DEFAULT_BACKOFF_MAX) @Pattern(Durations.PATTERN)
        String backoffMax,
        @JsonPropertyDescription("Whether each wait is drawn at random between zero and the backoff (full jitter).")
        @Default("true")
        Boolean jitter,
        @JsonPropertyDescription("Response statuses that are retried (default 502, 503, 504); connection failures are always retried.")
        @Size(max = 64)
        List<Integer> retryOn,
        @JsonPropertyDescription("Methods that are retried (default the idempotent GET, HEAD, OPTIONS, PUT, DELETE).")
        @Size(max = 16)
        List<String> methods,
        @JsonPropertyDescription("Retries allowed as a percentage of requests over the last 10 seconds.")
        @Default("" + RetryPolicy.DEFAULT_BUDGET_PERCENT) @Min(1) @Max(100)
        Integer budgetPercent) {

    // The sidecar's own defaults: a resource that leaves a field out behaves as the document would.
    public static final int DEFAULT_MAX_ATTEMPTS = RetryConfig.DEFAULT_MAX_ATTEMPTS;
    public static final String DEFAULT_BACKOFF_BASE = RetryConfig.DEFAULT_BACKOFF_BASE;
    public static final String DEFAULT_BACKOFF_MAX = RetryConfig.DEFAULT_BACKOFF_MAX;
    public static final int DEFAULT_BUDGET_PERCENT = RetryConfig.DEFAULT_BUDGET_PERCENT;
    public static final List<Integer> DEFAULT_RETRY_ON = RetryConfig.DEFAULT_RETRY_ON;
    public static final List<String> DEFAULT_METHODS = RetryConfig.DEFAULT_METHODS;

    public RetryPolicy {
        maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
        backoffBase = backoffBase == null ? DEFAULT_BACKOFF_BASE : backoffBase;
        backoffMax = backoffMax == null ? DEFAULT_BACKOFF_MAX : backoffMax;
        jitter = jitter == null ? Boolean.TRUE : jitter;
        retryOn = retryOn == null ? DEFAULT_RETRY_ON : List.copyOf(retryOn);
        methods = methods == null ? DEFAULT_METHODS : List.copyOf(methods);
        budgetPercent = budgetPercent == null ? DEFAULT_BUDGET_PERCENT : budgetPercent;
    }
}
