package dev.sluice.operator.render;

import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Shorter calls of {@link SidecarConfigRenderer#render} for tests: no Redis, one replica per Global policy. */
final class Renderings {
    private Renderings() {
    }

    static RenderedPolicies render(String namespace, List<RateLimitPolicy> policies, Optional<SidecarConfig> previous,
                                   List<String> trustedProxies) {
        return render(namespace, policies, List.of(), previous, trustedProxies);
    }

    static RenderedPolicies render(String namespace, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers,
                                   Optional<SidecarConfig> previous, List<String> trustedProxies) {
        return SidecarConfigRenderer.render(namespace, policies, breakers, previous,
                new SidecarConfigRenderer.DocumentDefaults(trustedProxies, null), Map.of());
    }
}
