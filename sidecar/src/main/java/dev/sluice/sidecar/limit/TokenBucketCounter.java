package dev.sluice.sidecar.limit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;

/** A token bucket of {@code capacity} tokens refilled greedily at {@code requests} per period (Bucket4j). */
final class TokenBucketCounter implements LimitCounter {
    private final Bucket bucket;

    TokenBucketCounter(LimitSpec spec, TimeMeter timeMeter) {
        this.bucket = Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.requests(), spec.parsedPeriod().duration()))
                .withCustomTimePrecision(timeMeter)
                .withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED)
                .build();
    }

    @Override
    public boolean tryConsume(long cost, long nowNanos, Usage usage) {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(cost);
        usage.set(probe.getRemainingTokens(), probe.getNanosToWaitForReset(), probe.getNanosToWaitForRefill());
        return probe.isConsumed();
    }

    @Override
    public void refund(long cost, long nowNanos) {
        bucket.addTokens(cost);
    }
}
