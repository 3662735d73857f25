package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A circuit breaker, with the timeout and retries of the calls it guards, as the sidecar runs it: over
 * a sliding window of calls, when the failure rate (or the slow-call rate) reaches its threshold after
 * at least {@code minimumNumberOfCalls}, the circuit opens and calls are refused at once with 503 for
 * {@code waitDurationInOpenState}; then {@code permittedCallsInHalfOpen} trial calls decide whether it
 * closes again. It guards the pod's inbound traffic ({@code target: Inbound}) or the app's calls out
 * through {@code route} ({@code target: Outbound}). Defaults are Resilience4j's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BreakerConfig(
        String name,
        String namespace,
        LabelSelector podSelector,
        BreakerTargetType target,
        RouteConfig route,
        Integer failureRateThreshold,
        Integer slowCallRateThreshold,
        String slowCallDuration,
        Integer minimumNumberOfCalls,
        WindowConfig slidingWindow,
        String waitDurationInOpenState,
        Integer permittedCallsInHalfOpen,
        List<Integer> failureStatuses,
        List<FailureKind> failureErrors,
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

    /** {@code namespace/name}, or the name alone outside a cluster. */
    public String qualifiedName() {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
