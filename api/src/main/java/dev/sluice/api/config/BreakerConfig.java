package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * A circuit breaker, with the timeout and retries of the calls it guards, as the sidecar runs it: over
 * a sliding window of calls, when the failure rate (or the slow-call rate) reaches its threshold after
 * at least {@code minimumNumberOfCalls}, the circuit opens and calls are refused at once with 503 for
 * {@code waitDurationInOpenState}; then {@code permittedCallsInHalfOpen} trial calls decide whether it
 * closes again. It guards the pod's inbound traffic ({@code target: Inbound}) or the app's calls out
 * through {@code route} ({@code target: Outbound}). Defaults are Resilience4j's.
 *
 * <p>A CircuitBreaker's spec is this record, unwrapped (the annotations are its CRD schema), with the
 * resource's own target and retry in place of {@code target}, {@code route} and {@code retry}: a field
 * added here is a field of the document and of the resource at once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BreakerConfig(
        String name,
        String namespace,
        @JsonPropertyDescription("The pods whose sidecars run this breaker; empty selects every pod of the namespace.")
        LabelSelector podSelector,
        BreakerTargetType target,
        RouteConfig route,
        @JsonPropertyDescription("Failure rate (percent of calls in the window) at which the circuit opens.")
        @Default("" + BreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD) @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer failureRateThreshold,
        @JsonPropertyDescription("Slow-call rate (percent) at which the circuit opens; needs slowCallDuration.")
        @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer slowCallRateThreshold,
        @JsonPropertyDescription("A call taking longer than this counts as slow, e.g. 2s.")
        @Pattern(Durations.PATTERN)
        String slowCallDuration,
        @JsonPropertyDescription("Calls the window must hold before a rate is computed.")
        @Default("" + BreakerConfig.DEFAULT_MINIMUM_NUMBER_OF_CALLS) @Min(1)
        Integer minimumNumberOfCalls,
        @JsonPropertyDescription("The window over which rates are computed: the last size calls (Count) or seconds (Time).")
        WindowConfig slidingWindow,
        @JsonPropertyDescription("How long the circuit stays open before trial calls, e.g. 60s.")
        @Default(BreakerConfig.DEFAULT_WAIT_DURATION_IN_OPEN_STATE) @Pattern(Durations.PATTERN)
        String waitDurationInOpenState,
        @JsonPropertyDescription("Trial calls let through while half-open.")
        @Default("" + BreakerConfig.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN) @Min(1)
        Integer permittedCallsInHalfOpen,
        @JsonPropertyDescription("Response statuses that count as failures (default 500, 502, 503, 504).")
        @Size(max = 64)
        List<Integer> failureStatuses,
        @JsonPropertyDescription("Errors that count as failures: ConnectFailure, Timeout, Reset (default all).")
        @Size(max = 3)
        List<FailureKind> failureErrors,
        @JsonPropertyDescription("The longest one attempt may take before it fails with 504 and counts as a failure, e.g. 5s.")
        @Pattern(Durations.PATTERN)
        String timeout,
        RetryConfig retry) {

    public static final int DEFAULT_FAILURE_RATE_THRESHOLD = 50;
    public static final int DEFAULT_MINIMUM_NUMBER_OF_CALLS = 100;
    public static final String DEFAULT_WAIT_DURATION_IN_OPEN_STATE = "60s";
    public static final int DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN = 10;
    public static final List<Integer> DEFAULT_FAILURE_STATUSES = List.of(500, 502, 503, 504);

    public BreakerConfig {
        podSelector = podSelector == null ? LabelSelector.everything() : podSelector;
        target = target == null ? BreakerTargetType.Inbound : target;
        failureRateThreshold = failureRateThreshold == null ? DEFAULT_FAILURE_RATE_THRESHOLD : failureRateThreshold;
        minimumNumberOfCalls = minimumNumberOfCalls == null ? DEFAULT_MINIMUM_NUMBER_OF_CALLS : minimumNumberOfCalls;
        slidingWindow = slidingWindow == null ? WindowConfig.defaults() : slidingWindow;
        waitDurationInOpenState = waitDurationInOpenState == null ? DEFAULT_WAIT_DURATION_IN_OPEN_STATE : waitDurationInOpenState;
        permittedCallsInHalfOpen = permittedCallsInHalfOpen == null ? DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN : permittedCallsInHalfOpen;
        failureStatuses = failureStatuses == null ? DEFAULT_FAILURE_STATUSES : List.copyOf(failureStatuses);
        failureErrors = failureErrors == null ? List.of(FailureKind.values()) : List.copyOf(failureErrors);
    }

    /** A breaker built field by field; every field left unset takes its default, as in a document that omits it. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this breaker's fields, to change some of them. */
    public Builder toBuilder() {
        return new Builder().name(name).namespace(namespace).podSelector(podSelector).target(target).route(route)
                .failureRateThreshold(failureRateThreshold).slowCallRateThreshold(slowCallRateThreshold).slowCallDuration(slowCallDuration)
                .minimumNumberOfCalls(minimumNumberOfCalls).slidingWindow(slidingWindow).waitDurationInOpenState(waitDurationInOpenState)
                .permittedCallsInHalfOpen(permittedCallsInHalfOpen).failureStatuses(failureStatuses).failureErrors(failureErrors)
                .timeout(timeout).retry(retry);
    }

    /** {@code namespace/name}, or the name alone outside a cluster. */
    public String qualifiedName() {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    /** The fields of a {@link BreakerConfig}, one setter each. */
    public static final class Builder {
        private String name;
        private String namespace;
        private LabelSelector podSelector;
        private BreakerTargetType target;
        private RouteConfig route;
        private Integer failureRateThreshold;
        private Integer slowCallRateThreshold;
        private String slowCallDuration;
        private Integer minimumNumberOfCalls;
        private WindowConfig slidingWindow;
        private String waitDurationInOpenState;
        private Integer permittedCallsInHalfOpen;
        private List<Integer> failureStatuses;
        private List<FailureKind> failureErrors;
        private String timeout;
        private RetryConfig retry;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder namespace(String namespace) {
            this.namespace = namespace;
            return this;
        }

        public Builder podSelector(LabelSelector podSelector) {
            this.podSelector = podSelector;
            return this;
        }

        public Builder target(BreakerTargetType target) {
            this.target = target;
            return this;
        }

        public Builder route(RouteConfig route) {
            this.route = route;
            return this;
        }

        public Builder failureRateThreshold(Integer failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
            return this;
        }

        public Builder slowCallRateThreshold(Integer slowCallRateThreshold) {
            this.slowCallRateThreshold = slowCallRateThreshold;
            return this;
        }

        public Builder slowCallDuration(String slowCallDuration) {
            this.slowCallDuration = slowCallDuration;
            return this;
        }

        public Builder minimumNumberOfCalls(Integer minimumNumberOfCalls) {
            this.minimumNumberOfCalls = minimumNumberOfCalls;
            return this;
        }

        public Builder slidingWindow(WindowConfig slidingWindow) {
            this.slidingWindow = slidingWindow;
            return this;
        }

        public Builder waitDurationInOpenState(String waitDurationInOpenState) {
            this.waitDurationInOpenState = waitDurationInOpenState;
            return this;
        }

        public Builder permittedCallsInHalfOpen(Integer permittedCallsInHalfOpen) {
            this.permittedCallsInHalfOpen = permittedCallsInHalfOpen;
            return this;
        }

        public Builder failureStatuses(List<Integer> failureStatuses) {
            this.failureStatuses = failureStatuses;
            return this;
        }

        public Builder failureErrors(List<FailureKind> failureErrors) {
            this.failureErrors = failureErrors;
            return this;
        }

        public Builder timeout(String timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder retry(RetryConfig retry) {
            this.retry = retry;
            return this;
        }

        public BreakerConfig build() {
            return new BreakerConfig(name, namespace, podSelector, target, route, failureRateThreshold, slowCallRateThreshold,
                    slowCallDuration, minimumNumberOfCalls, slidingWindow, waitDurationInOpenState, permittedCallsInHalfOpen,
                    failureStatuses, failureErrors, timeout, retry);
        }
    }
}
