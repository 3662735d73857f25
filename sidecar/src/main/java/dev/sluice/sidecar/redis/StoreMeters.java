package dev.sluice.sidecar.redis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * The store's meters, kept across Redis configuration changes: call latency, errors by reason, and
 * whether decisions go to Redis now.
 */
final class StoreMeters {
    final Timer latency;
    private final Counter timeouts;
    private final Counter unreachable;
    private final Counter auth;
    private final Counter other;

    StoreMeters(MeterRegistry registry, Supplier<RedisStore> current) {
        this.latency = Timer.builder("rate_limit_store_latency")
                .description("Time a call to the shared rate-limit store (Redis) takes, failures included")
                .publishPercentileHistogram()
                .register(registry);
        this.timeouts = error(registry, "timeout");
        this.unreachable = error(registry, "unreachable");
        this.auth = error(registry, "auth");
        this.other = error(registry, "other");
        Gauge.builder("rate_limit_store_available", current, ref -> {
                    RedisStore store = ref.get();
                    return store != null && store.connectedAndClosedBreaker() ? 1 : 0;
                })
                .description("1 while Global decisions go to Redis; 0 while they apply their failure mode (not connected, or breaker open)")
                .strongReference(true)
                .register(registry);
    }

    private static Counter error(MeterRegistry registry, String reason) {
        return Counter.builder("rate_limit_store_errors").tag("reason", reason)
                .description("Failed calls to the shared rate-limit store, by reason").register(registry);
    }

    void error(RedisErrors.Reason reason) {
        switch (reason) {
            case TIMEOUT -> timeouts.increment();
            case UNREACHABLE -> unreachable.increment();
            case AUTH -> auth.increment();
            default -> other.increment();
        }
    }
}
