package dev.sluice.sidecar.limit;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Keeps decisions off a store that is failing. After {@code failureThreshold} failures in a row the
 * breaker opens: calls are refused for a backoff (from {@code initialBackoff}, doubled at each failed
 * probe up to {@code maxBackoff}, with jitter so replicas do not probe in step); then one call goes
 * through as a probe, and its success closes the breaker. Time is an injected nanosecond clock.
 */
public final class StoreBreaker {
    public enum State { CLOSED, OPEN, HALF_OPEN }

    public static final int DEFAULT_FAILURE_THRESHOLD = 3;
    public static final long DEFAULT_INITIAL_BACKOFF_NANOS = 500_000_000L;
    public static final long DEFAULT_MAX_BACKOFF_NANOS = 10_000_000_000L;
    private static final double JITTER = 0.2;

    private final int failureThreshold;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final LongSupplier nanoTime;
    private final AtomicReference<State> state = new AtomicReference<>(State.CLOSED);
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private volatile long openUntil;
    private volatile long backoffNanos;

    public StoreBreaker(int failureThreshold, long initialBackoffNanos, long maxBackoffNanos, LongSupplier nanoTime) {
        this.failureThreshold = failureThreshold;
        this.initialBackoffNanos = initialBackoffNanos;
        this.maxBackoffNanos = maxBackoffNanos;
        this.nanoTime = nanoTime;
        this.backoffNanos = initialBackoffNanos;
    }

    public static StoreBreaker withDefaults(LongSupplier nanoTime) {
        return new StoreBreaker(DEFAULT_FAILURE_THRESHOLD, DEFAULT_INITIAL_BACKOFF_NANOS, DEFAULT_MAX_BACKOFF_NANOS, nanoTime);
    }

    /** Whether a call may go to the store now; when open and the backoff is over, true for exactly one probe. */
    public boolean allowsCall() {
        State current = state.get();
        if (current == State.CLOSED) {
            return true;
        }
        if (current == State.OPEN && nanoTime.getAsLong() - openUntil >= 0) {
            return state.compareAndSet(State.OPEN, State.HALF_OPEN);
        }
        return false;
    }

    public void succeeded() {
        consecutiveFailures.set(0);
        if (state.get() != State.CLOSED) {
            backoffNanos = initialBackoffNanos;
            state.set(State.CLOSED);
        }
    }

    public void failed() {
        long failures = consecutiveFailures.incrementAndGet();
        State current = state.get();
        if (current == State.HALF_OPEN) {
            backoffNanos = Math.min(maxBackoffNanos, backoffNanos * 2);
            open();
        } else if (current == State.CLOSED && failures >= failureThreshold) {
            open();
        }
    }

    private void open() {
        double jitter = 1 + JITTER * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        openUntil = nanoTime.getAsLong() + (long) (backoffNanos * jitter);
        state.set(State.OPEN);
    }

    public State state() {
        return state.get();
    }
}
