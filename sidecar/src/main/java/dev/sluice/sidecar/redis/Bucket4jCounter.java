package dev.sluice.sidecar.redis;

import dev.sluice.sidecar.limit.LimitSpec;
import dev.sluice.sidecar.limit.SharedCounter;
import dev.sluice.sidecar.limit.SharedOutcome;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import java.util.concurrent.CompletableFuture;

/**
 * One key's token bucket in Redis through Bucket4j's Lettuce proxy manager (compare-and-swap: a GET
 * and a scripted compare-and-set per attempt; concurrent requests of this sidecar for the key are
 * batched into one). Bucket4j reports the least remaining of the key's limits, shown for each.
 */
final class Bucket4jCounter implements SharedCounter {
    static final String FORMAT = "bucket4j";

    private final RedisStore store;
    private final byte[] key;
    private final BucketConfiguration configuration;
    private volatile AsyncBucketProxy proxy;

    Bucket4jCounter(RedisStore store, byte[] key, BucketConfiguration configuration) {
        this.store = store;
        this.key = key;
        this.configuration = configuration;
    }

    static BucketConfiguration configuration(LimitSpec[] specs) {
        ConfigurationBuilder builder = BucketConfiguration.builder();
        for (LimitSpec spec : specs) {
            builder.addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.requests(), spec.parsedPeriod().duration()));
        }
        return builder.build();
    }

    @Override
    public int tryLocally(long cost, long nowNanos, SharedOutcome outcome) {
        return NEEDS_STORE;
    }

    @Override
    public CompletableFuture<SharedOutcome> decide(long cost, long nowNanos, SharedOutcome outcome) {
        AsyncBucketProxy bucket;
        try {
            bucket = proxy();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return store.measure(bucket.tryConsumeAndReturnRemaining(cost)).thenApply(probe -> {
            for (int i = 0; i < outcome.limits(); i++) {
                outcome.usage(i, probe.getRemainingTokens(), probe.getNanosToWaitForReset(), probe.getNanosToWaitForRefill());
            }
            if (probe.isConsumed()) {
                outcome.allow();
            } else {
                outcome.refuse(0);
            }
            return outcome;
        });
    }

    @Override
    public void refund(long cost, long nowNanos) {
        try {
            store.measure(proxy().addTokens(cost));
        } catch (RuntimeException e) {
            // Not connected: the refund is lost, which only makes the limit stricter.
        }
    }

    private AsyncBucketProxy proxy() {
        AsyncBucketProxy current = proxy;
        if (current == null) {
            AsyncProxyManager<byte[]> manager = store.bucket4j();
            current = manager.builder().withOptimization(Optimizations.batching())
                    .build(key, () -> CompletableFuture.completedFuture(configuration));
            proxy = current;
        }
        return current;
    }
}
