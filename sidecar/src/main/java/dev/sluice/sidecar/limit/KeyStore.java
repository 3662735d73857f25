package dev.sluice.sidecar.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The counters of one rule, by key ({@code V}: local counters, or a Global rule's shared counter), bounded: a key idle for {@code idleTimeout} is dropped and at most
 * {@code maxKeys} are kept (Caffeine's W-TinyLFU admission keeps frequent keys when a flood of new
 * ones arrives), so distinct clients cannot exhaust the heap. A dropped key starts again with a full
 * quota, which is what an idle client would have by then anyway.
 */
final class KeyStore<V> {
    private final Cache<String, V> counters;
    private final Function<String, V> factory;
    private final LongAdder evictedForSize = new LongAdder();
    private final LongAdder expired = new LongAdder();

    KeyStore(long maxKeys, Duration idleTimeout, LimiterClock clock, Function<String, V> factory) {
        this.factory = factory;
        this.counters = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterAccess(idleTimeout)
                .ticker(clock::nanos)
                .executor(Runnable::run)
                .removalListener((String key, V value, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictedForSize.increment();
                    } else if (cause == RemovalCause.EXPIRED) {
                        expired.increment();
                    }
                })
                .build();
    }

    V countersFor(String key) {
        return counters.get(key, factory);
    }

    long size() {
        return counters.estimatedSize();
    }

    long evictedForSize() {
        return evictedForSize.sum();
    }

    long expired() {
        return expired.sum();
    }

    /** Runs pending expiry and eviction now (they otherwise run as keys are touched). */
    void cleanUp() {
        counters.cleanUp();
    }
}
