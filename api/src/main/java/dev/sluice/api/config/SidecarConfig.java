package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The sidecar's configuration document. The operator renders one per namespace into a ConfigMap;
 * standalone, it is a file written by hand. {@code generation} identifies the rendering (the sidecar
 * reports which one it runs); {@code trustedProxies} lists the addresses or CIDR ranges whose
 * {@code X-Forwarded-For} is believed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SidecarConfig(Long generation, List<String> trustedProxies, KeySettings keys, List<PolicyConfig> policies) {
    public SidecarConfig {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        keys = keys == null ? KeySettings.defaults() : keys;
        policies = policies == null ? List.of() : List.copyOf(policies);
    }

    public static SidecarConfig of(List<PolicyConfig> policies) {
        return new SidecarConfig(null, List.of(), KeySettings.defaults(), policies);
    }
}
