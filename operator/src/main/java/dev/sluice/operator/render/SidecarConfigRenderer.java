package dev.sluice.operator.render;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.KeySettings;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import dev.sluice.operator.breaker.CircuitBreakerValidator;
import dev.sluice.operator.ratelimit.RateLimitPolicyValidator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns the RateLimitPolicies and CircuitBreakers of one namespace into the sidecar configuration
 * document, as a pure function. A valid policy is rendered as written; an invalid one keeps the entry it had in the
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
        return render(namespace, policies, List.of(), previous, trustedProxies);
    }

    /** The policies and the circuit breakers of a namespace; an invalid breaker keeps its previous entry too. */
    public static RenderedPolicies render(String namespace, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers,
                                          Optional<SidecarConfig> previous, List<String> trustedProxies) {
        return render(namespace, policies, breakers, previous, new DocumentDefaults(trustedProxies, null), Map.of());
    }

    /**
     * The operator-wide parts of every namespace's document: whose {@code X-Forwarded-For} the sidecars
     * believe, and where {@code scope: Global} policies keep their shared counters (null: nowhere).
     */
    public record DocumentDefaults(List<String> trustedProxies, RedisConfig redis) {
        public DocumentDefaults {
            trustedProxies = List.copyOf(trustedProxies);
        }
    }

    /**
     * The full rendering. {@code replicas} is, per Global policy name, how many pods its selector matches:
     * when Redis is unreachable, each sidecar falls back to that share of the limit.
     */
    public static RenderedPolicies render(String namespace, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers,
                                          Optional<SidecarConfig> previous, DocumentDefaults defaults, Map<String, Integer> replicas) {
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
                rendered.add(toPolicyConfig(namespace, name, policy.getSpec(), replicas.getOrDefault(name, 1)));
            } else if (previousByName.containsKey(name)) {
                rendered.add(previousByName.get(name));
                keptPrevious.add(name);
            } else {
                withheld.add(name);
            }
        }
        Map<String, BreakerConfig> previousBreakers = previous.map(SidecarConfig::breakers).orElse(List.of()).stream()
                .filter(breaker -> namespace.equals(breaker.namespace()))
                .collect(Collectors.toMap(BreakerConfig::name, Function.identity(), (first, second) -> first));
        List<BreakerConfig> renderedBreakers = new ArrayList<>();
        Set<String> keptPreviousBreakers = new HashSet<>();
        Set<String> withheldBreakers = new HashSet<>();
        List<CircuitBreaker> breakersByName = breakers.stream().sorted(Comparator.comparing(breaker -> breaker.getMetadata().getName())).toList();
        Map<String, BreakerConfig> valid = new HashMap<>();
        Set<String> routesTaken = new HashSet<>();
        Set<Integer> portsTaken = new HashSet<>();
        for (CircuitBreaker breaker : breakersByName) {
            String name = breaker.getMetadata().getName();
            if (CircuitBreakerValidator.validateInNamespace(breaker, breakers).isEmpty()) {
                valid.put(name, ResilienceRendering.toBreakerConfig(namespace, name, breaker.getSpec()));
            } else if (previousBreakers.containsKey(name)) {
                keptPreviousBreakers.add(name);
                RouteConfig route = previousBreakers.get(name).route();
                if (route != null) {
                    routesTaken.add(route.name());
                    portsTaken.add(route.localPort());
                }
            } else {
                withheldBreakers.add(name);
            }
        }
        for (CircuitBreaker breaker : breakersByName) {
            String name = breaker.getMetadata().getName();
            BreakerConfig config = valid.get(name);
            if (keptPreviousBreakers.contains(name)) {
                renderedBreakers.add(previousBreakers.get(name));
            } else if (config != null && config.route() != null
                    && (routesTaken.contains(config.route().name()) || portsTaken.contains(config.route().localPort()))) {
                // The last valid version of an invalid breaker still holds this route or port.
                withheldBreakers.add(name);
            } else if (config != null) {
                renderedBreakers.add(config);
            }
        }
        long previousGeneration = previous.map(SidecarConfig::generation).orElse(0L);
        SidecarConfig unchanged = new SidecarConfig(previousGeneration, defaults.trustedProxies(), KeySettings.defaults(), rendered,
                defaults.redis(), renderedBreakers);
        if (previous.isPresent() && unchanged.equals(previous.get())) {
            return new RenderedPolicies(unchanged, false, keptPrevious, withheld, keptPreviousBreakers, withheldBreakers);
        }
        SidecarConfig next = new SidecarConfig(previousGeneration + 1, defaults.trustedProxies(), KeySettings.defaults(), rendered,
                defaults.redis(), renderedBreakers);
        return new RenderedPolicies(next, true, keptPrevious, withheld, keptPreviousBreakers, withheldBreakers);
    }

    /**
     * A policy as the sidecar enforces it: the spec's own rule records, named after the resource; a Global
     * policy carries the number of pods sharing its limit (at least 1).
     */
    public static PolicyConfig toPolicyConfig(String namespace, String name, RateLimitPolicySpec spec, int selectedPods) {
        Integer replicas = spec.scope() == Scope.Global ? Math.max(1, selectedPods) : null;
        return new PolicyConfig(name, namespace, spec.podSelector(), spec.mode(), spec.scope(), spec.failureMode(), spec.rules(), replicas,
                ResilienceRendering.toBackpressureConfig(spec.backpressure()));
    }
}
