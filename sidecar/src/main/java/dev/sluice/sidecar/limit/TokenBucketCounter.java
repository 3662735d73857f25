package dev.sluice.sidecar.limit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A token bucket of {@code capacity} tokens refilled greedily at {@code requests} per period (Bucket4j). */
final class TokenBucketCounter implements LimitCounter {
    private static final VarHandle FULL_AT;

    static {
        try {
            FULL_AT = MethodHandles.lookup().findVarHandle(TokenBucketCounter.class, "fullAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Bucket bucket;
    private final TimeMeter timeMeter;
    /** Only ever raised: takes racing on other threads must not leave it at the earlier of two instants. */
    private volatile long fullAt = Long.MIN_VALUE;

    TokenBucketCounter(LimitSpec spec, TimeMeter timeMeter) {
        this.bucket = Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.requests(), spec.parsedPeriod().duration()))
                .withCustomTimePrecision(timeMeter)
                .withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED)
                .build();
        this.timeMeter = timeMeter;
    }

    @Override
    public boolean tryConsume(long cost, long nowNanos, Usage usage) {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(cost);
        usage.set(probe.getRemainingTokens(), probe.getNanosToWaitForReset(), probe.getNanosToWaitForRefill());
        if (probe.isConsumed()) {
            // The bucket's own time, read after the take: nowNanos may be slightly older than what it counted from.
            raiseFullAt(timeMeter.currentTimeNanos() + probe.getNanosToWaitForReset());
        }
        return probe.isConsumed();
    }

    @Override
    public long fullAt() {
        return fullAt;
    }

    private void raiseFullAt(long at) {
        long current;
        do {
            current = fullAt;
            if (current >= at) {
                return;
            }
        } while (!FULL_AT.compareAndSet(this, current, at));
    }

    @Override
    public void refund(long cost, long nowNanos) {
        bucket.addTokens(cost);
    }
}
