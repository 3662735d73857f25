package dev.sluice.operator.render;

import dev.sluice.api.config.KeySettings;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import dev.sluice.operator.ratelimit.RateLimitPolicyValidator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns the RateLimitPolicies of one namespace into the sidecar configuration document, as a pure
 * function. A valid policy is rendered as written; an invalid one keeps the entry it had in the
 * previous document, so that the sidecars go on enforcing its last valid version (the previous
 * document lives in the ConfigMap, so this survives operator restarts). The document's
 * {@code generation} is raised whenever its content changes. {@code trustedProxies} (whose
 * {@code X-Forwarded-For} the sidecars believe) is the operator's setting, the same for every namespace.
 */
public final class SidecarConfigRenderer {
    private SidecarConfigRenderer() {
    }

    public static RenderedPolicies render(
            String namespace, List<RateLimitPolicy> policies, Optional<SidecarConfig> previous, List<String> trustedProxies) {
        Map<String, PolicyConfig> previousByName = previous.map(SidecarConfig::policies).orElse(List.of()).stream()
                .filter(policy -> namespace.equals(policy.namespace()))
                .collect(Collectors.toMap(PolicyConfig::name, Function.identity(), (first, second) -> first));
        List<PolicyConfig> rendered = new ArrayList<>();
        Set<String> keptPrevious = new HashSet<>();
        Set<String> withheld = new HashSet<>();
        List<RateLimitPolicy> byName = policies.stream()
                .sorted(Comparator.comparing(policy -> policy.getMetadata().getName()))
                .toList();
        for (RateLimitPolicy policy : byName) {
            String name = policy.getMetadata().getName();
            if (RateLimitPolicyValidator.validate(policy).isEmpty()) {
                rendered.add(toPolicyConfig(namespace, name, policy.getSpec()));
            } else if (previousByName.containsKey(name)) {
                rendered.add(previousByName.get(name));
                keptPrevious.add(name);
            } else {
                withheld.add(name);
            }
        }
        long previousGeneration = previous.map(SidecarConfig::generation).orElse(0L);
        SidecarConfig unchanged = new SidecarConfig(previousGeneration, trustedProxies, KeySettings.defaults(), rendered);
        if (previous.isPresent() && unchanged.equals(previous.get())) {
            return new RenderedPolicies(unchanged, false, keptPrevious, withheld);
        }
        SidecarConfig next = new SidecarConfig(previousGeneration + 1, trustedProxies, KeySettings.defaults(), rendered);
        return new RenderedPolicies(next, true, keptPrevious, withheld);
    }

    /** A policy as the sidecar enforces it: the spec's own rule records, named after the resource. */
    public static PolicyConfig toPolicyConfig(String namespace, String name, RateLimitPolicySpec spec) {
        return new PolicyConfig(name, namespace, spec.podSelector(), spec.mode(), spec.scope(), spec.failureMode(), spec.rules());
    }
}
