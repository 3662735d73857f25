package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Retries: at most {@code maxAttempts} calls in all, waiting {@code backoffBase · 2^(retry-1)} (at most
 * {@code backoffMax}, drawn at random below it with {@code jitter}) between them; only for
 * {@code retryOn} statuses and connection failures, only for {@code methods} (the idempotent ones by
 * default), only for bodies of at most {@code maxBodyBytes} (buffered to be sent again), never once the
 * response has started, and only while retries stay within {@code budgetPercent} of the requests of the
 * last 10 seconds plus {@code minRetriesPerSecond}, so that retries cannot multiply the load on a
 * struggling upstream.
 *
 * <p>A gRPC call is judged by {@code grpcRetryOn} instead of {@code retryOn} and {@code methods} (every call is a
 * POST): it is sent again only when the policy names gRPC statuses, its whole request is one gRPC message within
 * {@code maxBodyBytes} (a unary or server-streaming call), and it failed before any of its response was passed on.
 * None named, the default, means no gRPC call is replayed; the list is then absent from a rendered document rather than
 * empty, so that documents which do not use it read as they did before it existed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "duration(self.backoffBase) <= duration(self.backoffMax)",
        message = "backoffBase must not be longer than backoffMax", fieldPath = ".backoffBase")
public record RetryConfig(
        @JsonPropertyDescription("Calls in all, the first included.")
        @Default("" + RetryConfig.DEFAULT_MAX_ATTEMPTS) @Min(RetryConfig.MIN_ATTEMPTS) @Max(RetryConfig.MAX_ATTEMPTS)
        Integer maxAttempts,
        @JsonPropertyDescription("The wait before the first retry; each further retry doubles it, e.g. 100ms.")
        @Default(RetryConfig.DEFAULT_BACKOFF_BASE) @Pattern(Durations.PATTERN)
        String backoffBase,
        @JsonPropertyDescription("The longest wait between retries, e.g. 3200ms.")
        @Default(RetryConfig.DEFAULT_BACKOFF_MAX) @Pattern(Durations.PATTERN)
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
        @JsonPropertyDescription("gRPC statuses that are retried, e.g. [UNAVAILABLE], when a call's request is one message and the"
                + " status comes before any of the response (default none: gRPC calls are not replayed). retryOn and methods do not"
                + " apply to gRPC calls.")
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @Size(max = RetryConfig.MAX_GRPC_STATUSES)
        List<GrpcStatus> grpcRetryOn,
        @JsonPropertyDescription("Retries allowed as a percentage of requests over the last 10 seconds.")
        @Default("" + RetryConfig.DEFAULT_BUDGET_PERCENT) @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer budgetPercent,
        // The two below are the sidecar document's only: a CircuitBreaker leaves them to their defaults, and neither its schema
        // nor its serialised form has them (@JsonIgnoreProperties on CircuitBreakerSpec.retry).
        Integer minRetriesPerSecond,
        Integer maxBodyBytes) {

    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** A retry needs a second attempt. */
    public static final int MIN_ATTEMPTS = 2;
    public static final int MAX_ATTEMPTS = 10;
    public static final String DEFAULT_BACKOFF_BASE = "100ms";
    public static final String DEFAULT_BACKOFF_MAX = "3200ms";
    public static final int DEFAULT_BUDGET_PERCENT = 20;
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 1;
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    public static final List<Integer> DEFAULT_RETRY_ON = List.of(502, 503, 504);
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
    public static final int MAX_GRPC_STATUSES = GrpcStatus.MAX_CODE;

    public RetryConfig {
        maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
        backoffBase = backoffBase == null ? DEFAULT_BACKOFF_BASE : backoffBase;
        backoffMax = backoffMax == null ? DEFAULT_BACKOFF_MAX : backoffMax;
        jitter = jitter == null ? Boolean.TRUE : jitter;
        retryOn = retryOn == null ? DEFAULT_RETRY_ON : List.copyOf(retryOn);
        methods = methods == null ? DEFAULT_METHODS : List.copyOf(methods);
        // Not List.copyOf: a name that is not a status reads as a null element, which the validator reports with its index.
        grpcRetryOn = grpcRetryOn == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(grpcRetryOn));
        budgetPercent = budgetPercent == null ? DEFAULT_BUDGET_PERCENT : budgetPercent;
        minRetriesPerSecond = minRetriesPerSecond == null ? DEFAULT_MIN_RETRIES_PER_SECOND : minRetriesPerSecond;
        maxBodyBytes = maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
    }

    /** A policy that replays no gRPC call. */
    public RetryConfig(Integer maxAttempts, String backoffBase, String backoffMax, Boolean jitter, List<Integer> retryOn, List<String> methods,
                       Integer budgetPercent, Integer minRetriesPerSecond, Integer maxBodyBytes) {
        this(maxAttempts, backoffBase, backoffMax, jitter, retryOn, methods, null, budgetPercent, minRetriesPerSecond, maxBodyBytes);
    }

    public static RetryConfig defaults() {
        return new RetryConfig(null, null, null, null, null, null, null, null, null);
    }

    /** Whether gRPC calls may be replayed at all: the policy names gRPC statuses. */
    public boolean retriesGrpc() {
        return !grpcRetryOn.isEmpty();
    }
}
