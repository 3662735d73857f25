package dev.sluice.sidecar.limit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;

/**
 * A token bucket of {@code capacity} tokens refilled greedily at {@code requests} per period (Bucket4j).
 *
 * <p>The bucket and {@link #fullAt} are guarded together by this counter's monitor, as the window
 * counters' state is, and Bucket4j's own synchronisation is off: a take costs one lock, where
 * Bucket4j's lock plus a compare-and-swap of {@code fullAt} were two contended operations on a hot key.
 */
final class TokenBucketCounter implements LimitCounter {
    private final Bucket bucket;
    private final TimeMeter timeMeter;
    /** Only ever raised. */
    private long fullAt = Long.MIN_VALUE;

    TokenBucketCounter(LimitSpec spec, TimeMeter timeMeter) {
        this.bucket = Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.requests(), spec.parsedPeriod().duration()))
                .withCustomTimePrecision(timeMeter)
                .withSynchronizationStrategy(SynchronizationStrategy.NONE)
                .build();
        this.timeMeter = timeMeter;
    }

    @Override
    public synchronized boolean tryConsume(long cost, long nowNanos, Usage usage) {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(cost);
        usage.set(probe.getRemainingTokens(), probe.getNanosToWaitForReset(), probe.getNanosToWaitForRefill());
        if (probe.isConsumed()) {
            // The bucket's own time, read after the take: nowNanos may be slightly older than what it counted from.
            fullAt = Math.max(fullAt, timeMeter.currentTimeNanos() + probe.getNanosToWaitForReset());
        }
        return probe.isConsumed();
    }

    @Override
    public synchronized long fullAt() {
        return fullAt;
    }

    @Override
    public synchronized void refund(long cost, long nowNanos) {
        bucket.addTokens(cost);
    }
}
