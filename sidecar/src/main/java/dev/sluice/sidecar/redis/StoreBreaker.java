package dev.sluice.sidecar.redis;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps decisions off a store that is failing, with Resilience4j's state machine. After
 * {@code failureThreshold} failures in a row (a count window of that size, all failed) the breaker
 * opens: calls are refused for a backoff (from {@code initialBackoff}, doubled at each failed probe up
 * to {@code maxBackoff}, with ±20 % jitter so replicas do not probe in step); then one call goes
 * through as a probe, and its success closes the breaker. Time comes from the injected clock.
 */
final class StoreBreaker {
    static final int DEFAULT_FAILURE_THRESHOLD = 3;
    static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
    private static final double JITTER = 0.2;
    private static final double BACKOFF_MULTIPLIER = 2;
    private static final Exception FAILED = new StoreCallFailed();

    private final CircuitBreaker circuit;

    StoreBreaker(int failureThreshold, Duration initialBackoff, Duration maxBackoff, Clock clock) {
        this.circuit = CircuitBreaker.of("redis", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(failureThreshold)
                .minimumNumberOfCalls(failureThreshold)
                .failureRateThreshold(100)
                .permittedNumberOfCallsInHalfOpenState(1)
                .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialRandomBackoff(initialBackoff, BACKOFF_MULTIPLIER, JITTER,
                        maxBackoff))
                .clock(clock)
                .build());
    }

    static StoreBreaker withDefaults(Clock clock) {
        return new StoreBreaker(DEFAULT_FAILURE_THRESHOLD, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, clock);
    }

    /** Whether a call may go to the store now; when open and the backoff is over, true for exactly one probe. */
    boolean allowsCall() {
        return circuit.tryAcquirePermission();
    }

    // Calls are reported without their duration: a slow store call is bounded by the command timeout and
    // is not a failure here, so Resilience4j's slow-call rate must never open the breaker.
    void succeeded() {
        circuit.onSuccess(0, TimeUnit.NANOSECONDS);
    }

    void failed() {
        circuit.onError(0, TimeUnit.NANOSECONDS, FAILED);
    }

    CircuitBreaker.State state() {
        return circuit.getState();
    }

    /** What a failed call is recorded with; the store's own error is counted and logged where it happens. Shared, without a stack trace. */
    private static final class StoreCallFailed extends Exception {
        StoreCallFailed() {
            super("store call failed", null, false, false);
        }
    }
}
