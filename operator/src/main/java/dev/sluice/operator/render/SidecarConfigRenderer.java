package dev.sluice.operator.render;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.KeySettings;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RenderedResource;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import dev.sluice.operator.render.validation.BreakerValidation;
import dev.sluice.operator.render.validation.PolicyValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
 * document, as a pure function, with a {@link Verdict} for each. A valid resource is rendered as written; an
 * invalid one keeps the entry it had in the previous document, so that the sidecars go on enforcing its last valid version (the previous
 * document lives in the ConfigMap, so this survives operator restarts). The document's
 * {@code generation} is raised whenever its content changes. {@code trustedProxies} (whose
 * {@code X-Forwarded-For} the sidecars believe) is the operator's setting, the same for every namespace.
 * The document says which format it is written in ({@link SidecarConfig#DOCUMENT_VERSION}) and lists each resource
 * with an entry in it at the {@code metadata.generation} that entry came from, so that the sidecars' reports say
 * per resource what they enforce.
 */
public final class SidecarConfigRenderer {
    /** The kinds as a document's {@code resources} names them. */
    public static final String POLICY_KIND = "RateLimitPolicy";
    public static final String BREAKER_KIND = "CircuitBreaker";

    private SidecarConfigRenderer() {
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
     * The rendering of one namespace. {@code replicas} is, per Global policy name, how many of the pods its selector matches
     * have a ready sidecar: when Redis is unreachable, each sidecar falls back to that share of the limit.
     */
    public static RenderedPolicies render(String namespace, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers,
                                          Optional<SidecarConfig> previous, DocumentDefaults defaults, Map<String, Integer> replicas) {
        Map<String, PolicyConfig> previousPolicies = previous.map(SidecarConfig::policies).orElse(List.of()).stream()
                .filter(policy -> namespace.equals(policy.namespace()))
                .collect(Collectors.toMap(PolicyConfig::name, Function.identity(), (first, second) -> first));
        Map<String, Long> previousGenerations = previous.map(SidecarConfig::resources).orElse(List.of()).stream()
                .filter(resource -> resource.generation() != null)
                .collect(Collectors.toMap(resource -> resource.kind() + "/" + resource.name(), RenderedResource::generation,
                        (first, second) -> first));
        Map<String, Verdict> policyVerdicts = new HashMap<>();
        List<PolicyConfig> rendered = new ArrayList<>();
        List<RenderedResource> resources = new ArrayList<>();
        for (RateLimitPolicy policy : byName(policies)) {
            String name = policy.getMetadata().getName();
            Verdict verdict = judge(PolicyValidation.validate(policy), previousPolicies.containsKey(name));
            policyVerdicts.put(name, verdict);
            switch (verdict.outcome()) {
                case RENDERED -> {
                    rendered.add(toPolicyConfig(namespace, name, policy.getSpec(), replicas.getOrDefault(name, 1)));
                    resources.add(new RenderedResource(POLICY_KIND, name, policy.getMetadata().getGeneration()));
                }
                case KEPT_PREVIOUS -> {
                    rendered.add(previousPolicies.get(name));
                    resources.add(new RenderedResource(POLICY_KIND, name, previousGenerations.get(POLICY_KIND + "/" + name)));
                }
                case WITHHELD -> { }
            }
        }
        BreakerRendering breakerRendering = renderBreakers(namespace, breakers, previous);
        for (BreakerConfig entry : breakerRendering.entries()) {
            Long generation = breakerRendering.verdicts().get(entry.name()).renderedAsWritten()
                    ? breakers.stream().filter(breaker -> breaker.getMetadata().getName().equals(entry.name())).findFirst()
                            .map(breaker -> breaker.getMetadata().getGeneration()).orElse(null)
                    : previousGenerations.get(BREAKER_KIND + "/" + entry.name());
            resources.add(new RenderedResource(BREAKER_KIND, entry.name(), generation));
        }
        resources.sort(Comparator.comparing(RenderedResource::kind).thenComparing(RenderedResource::name));
        long previousGeneration = previous.map(SidecarConfig::generation).orElse(0L);
        SidecarConfig unchanged = document(previousGeneration, rendered, breakerRendering.entries(), resources, defaults);
        if (previous.isPresent() && unchanged.equals(previous.get())) {
            return new RenderedPolicies(unchanged, false, policyVerdicts, breakerRendering.verdicts());
        }
        SidecarConfig next = document(previousGeneration + 1, rendered, breakerRendering.entries(), resources, defaults);
        return new RenderedPolicies(next, true, policyVerdicts, breakerRendering.verdicts());
    }

    private static SidecarConfig document(long generation, List<PolicyConfig> policies, List<BreakerConfig> breakers,
                                          List<RenderedResource> resources, DocumentDefaults defaults) {
        return new SidecarConfig(generation, defaults.trustedProxies(), KeySettings.defaults(), policies, defaults.redis(), breakers,
                SidecarConfig.DOCUMENT_VERSION, resources);
    }

    /**
     * The one rule for a resource that is not valid as written: the document keeps the entry its last
     * valid version had, if there is one, so the sidecars go on enforcing that; otherwise nothing of it
     * is rendered.
     */
    private static Verdict judge(List<FieldError> errors, boolean hasPreviousEntry) {
        if (errors.isEmpty()) {
            return Verdict.rendered();
        }
        return hasPreviousEntry ? Verdict.keptPrevious(errors) : Verdict.withheld(errors);
    }

    private record BreakerRendering(List<BreakerConfig> entries, Map<String, Verdict> verdicts) {
    }

    /**
     * The breakers of the namespace. A kept previous entry still holds its route and local port, so a
     * valid breaker asking for either is withheld until the invalid one is fixed or deleted.
     */
    private static BreakerRendering renderBreakers(String namespace, List<CircuitBreaker> breakers, Optional<SidecarConfig> previous) {
        Map<String, BreakerConfig> previousBreakers = previous.map(SidecarConfig::breakers).orElse(List.of()).stream()
                .filter(breaker -> namespace.equals(breaker.namespace()))
                .collect(Collectors.toMap(BreakerConfig::name, Function.identity(), (first, second) -> first));
        Map<String, List<FieldError>> errors = BreakerValidation.validateNamespace(breakers);
        Map<String, Verdict> verdicts = new HashMap<>();
        Set<String> routesHeld = new HashSet<>();
        Set<Integer> portsHeld = new HashSet<>();
        List<CircuitBreaker> inNameOrder = byName(breakers);
        for (CircuitBreaker breaker : inNameOrder) {
            String name = breaker.getMetadata().getName();
            Verdict verdict = judge(errors.get(name), previousBreakers.containsKey(name));
            verdicts.put(name, verdict);
            RouteConfig route = verdict.outcome() == Verdict.Outcome.KEPT_PREVIOUS ? previousBreakers.get(name).route() : null;
            if (route != null) {
                routesHeld.add(route.name());
                portsHeld.add(route.localPort());
            }
        }
        List<BreakerConfig> entries = new ArrayList<>();
        for (CircuitBreaker breaker : inNameOrder) {
            String name = breaker.getMetadata().getName();
            switch (verdicts.get(name).outcome()) {
                case KEPT_PREVIOUS -> entries.add(previousBreakers.get(name));
                case RENDERED -> {
                    BreakerConfig config = breaker.getSpec().toBreakerConfig(namespace, name);
                    if (config.route() != null && (routesHeld.contains(config.route().name()) || portsHeld.contains(config.route().localPort()))) {
                        verdicts.put(name, Verdict.withheld(List.of(new FieldError("spec.target.route", "the route name or local port is still held"
                                + " by the last valid version of another, now invalid, CircuitBreaker of this namespace; fix or delete that one first"))));
                    } else {
                        entries.add(config);
                    }
                }
                case WITHHELD -> { }
            }
        }
        return new BreakerRendering(entries, verdicts);
    }

    private static <R extends HasMetadata> List<R> byName(List<R> resources) {
        return resources.stream().sorted(Comparator.comparing(resource -> resource.getMetadata().getName())).toList();
    }

    /**
     * A policy as the sidecar enforces it: the spec's own rule records, named after the resource; a Global
     * policy carries the number of pods sharing its limit (at least 1).
     */
    public static PolicyConfig toPolicyConfig(String namespace, String name, RateLimitPolicySpec spec, int selectedPods) {
        Integer replicas = spec.scope() == Scope.Global ? Math.max(1, selectedPods) : null;
        return new PolicyConfig(name, namespace, spec.podSelector(), spec.mode(), spec.scope(), spec.failureMode(), spec.rules(), replicas,
                spec.backpressure());
    }
}
