package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The sidecar's configuration document. The operator renders one per namespace into a ConfigMap;
 * standalone, it is a file written by hand. {@code generation} identifies the rendering (the sidecar
 * reports which one it runs); {@code version} is the document's format ({@link #DOCUMENT_VERSION}, 1 when
 * absent), which says how strictly a sidecar reads it (see {@link ConfigLoader}); {@code resources} lists, in an
 * operator-written document, the resources rendered into it with their generations; {@code trustedProxies} lists the addresses or CIDR ranges whose
 * {@code X-Forwarded-For} is believed; {@code redis} is where {@link Scope#Global} policies keep their
 * counters (required when one applies); {@code breakers} are the circuit breakers, with their timeouts,
 * retries and outbound routes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"version", "generation", "resources"})
public record SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies,
                            RedisConfig redis,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<BreakerConfig> breakers,
                            Integer version,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<RenderedResource> resources) {
    /** The newest document format this build reads and writes. */
    public static final int DOCUMENT_VERSION = 1;

    public SidecarConfig {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        keys = keys == null ? KeySettings.defaults() : keys;
        policies = policies == null ? List.of() : List.copyOf(policies);
        breakers = breakers == null ? List.of() : List.copyOf(breakers);
        resources = resources == null ? List.of() : List.copyOf(resources);
    }

    /** A document without a format version or a list of rendered resources (a hand-written one). */
    public SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies, RedisConfig redis,
                         List<BreakerConfig> breakers) {
        this(generation, trustedProxies, keys, policies, redis, breakers, null, null);
    }

    /** The document's format version: 1 when not given. */
    public int effectiveVersion() {
        return version == null ? 1 : version;
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
        return new SidecarConfig(null, List.of(), KeySettings.defaults(), policies, null, null, null, null);
    }
}
