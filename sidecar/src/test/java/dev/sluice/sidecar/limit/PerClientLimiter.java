package dev.sluice.sidecar.limit;

import dev.sluice.api.config.Algorithm;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.InvalidConfigException;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A limiter in force with one rule, {@code per-client} of policy {@code api}, that counts each client
 * address ({@code ClientIP}) on its own and forgets keys after {@code keys.idleTimeout} 10m. The key
 * store's tests ({@code KeyRetentionTest}) and the benchmark that weighs a key ({@code KeyMemory} in
 * {@code benchmarks/}, through the sidecar's test jar) both build on it, so they measure the same thing.
 */
public final class PerClientLimiter {
    private PerClientLimiter() {
    }

    /**
     * @param maxKeys {@code keys.maxPerRule}
     * @param limits the rule's limits as YAML flow mappings, e.g. {@code "{requests: 2, period: 1h}"}
     */
    public static RateLimiter inForce(long maxKeys, Algorithm algorithm, String limits, MeterRegistry registry, LimiterClock clock)
            throws InvalidConfigException {
        String yaml = """
                keys: {maxPerRule: %d, idleTimeout: 10m}
                policies:
                  - name: api
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        algorithm: %s
                        limits: [%s]
                """.formatted(maxKeys, algorithm, limits);
        RateLimiter empty = RateLimiter.empty(clock);
        RateLimiter limiter = RateLimiter.compile(ConfigLoader.parse(yaml), null, empty, registry, clock);
        limiter.putInForce(empty);
        return limiter;
    }
}
