package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The sidecar's configuration document. The operator renders one per namespace into a ConfigMap;
 * standalone, it is a file written by hand. {@code generation} identifies the rendering (the sidecar
 * reports which one it runs); {@code trustedProxies} lists the addresses or CIDR ranges whose
 * {@code X-Forwarded-For} is believed; {@code redis} is where {@link Scope#Global} policies keep their
 * counters (required when one applies); {@code breakers} are the circuit breakers, with their timeouts,
 * retries and outbound routes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies,
                            RedisConfig redis,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<BreakerConfig> breakers) {
    public SidecarConfig {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        keys = keys == null ? KeySettings.defaults() : keys;
        policies = policies == null ? List.of() : List.copyOf(policies);
        breakers = breakers == null ? List.of() : List.copyOf(breakers);
    }

    /** A document without circuit breakers. */
    public SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies, RedisConfig redis) {
        this(generation, trustedProxies, keys, policies, redis, null);
    }

    /** A document without a Redis section. */
    public SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies) {
        this(generation, trustedProxies, keys, policies, null);
    }

    public static SidecarConfig of(List<PolicyConfig> policies) {
        return new SidecarConfig(null, List.of(), KeySettings.defaults(), policies, null, null);
    }
}
