package dev.sluice.operator;

import dev.sluice.api.config.Algorithm;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.KeyDimension;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.MatchConfig;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.PathMatch;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Fluent test fixtures: {@code Resources.policy("ns", "api").rule(Resources.rule("r", 3, "1s")).build()}. */
public final class Resources {
    private Resources() {
    }

    public static PolicyBuilder policy(String namespace, String name) {
        return new PolicyBuilder(namespace, name);
    }

    /** A rule with one limit of {@code requests} per {@code period}, matching every request, one shared counter. */
    public static RuleConfig rule(String name, long requests, String period) {
        return new RuleConfig(name, MatchConfig.any(), List.of(), null, null, null, List.of(LimitConfig.of(requests, period)),
                null, null, null);
    }

    public static RuleConfig perClientRule(String name, String pathPrefix, long requests, String period) {
        return new RuleConfig(name, new MatchConfig(PathMatch.prefix(pathPrefix), List.of(), List.of()),
                List.of(KeyDimension.clientIp()), null, Algorithm.TokenBucket, null, List.of(LimitConfig.of(requests, period)),
                null, null, null);
    }

    public static CircuitBreaker breaker(String namespace, String name, CircuitBreakerSpec spec) {
        CircuitBreaker breaker = new CircuitBreaker();
        breaker.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        breaker.setSpec(spec);
        return breaker;
    }

    /**
     * The spec of a CircuitBreaker that renders to {@code breaker} (built with {@link BreakerConfig#builder()}): its target
     * and route as the resource's target, its retry as the resource's, and its other fields as they are.
     */
    public static CircuitBreakerSpec breakerSpec(BreakerConfig breaker) {
        return new CircuitBreakerSpec(new BreakerTarget(breaker.target(), breaker.route()), breaker.retry(), breaker);
    }

    public static CircuitBreakerSpec inboundBreaker() {
        return breakerSpec(BreakerConfig.builder().timeout("5s").build());
    }

    /** An outbound breaker guarding route {@code route} on {@code localPort}, with a timeout and default retries. */
    public static CircuitBreakerSpec outboundBreaker(String route, int localPort) {
        return breakerSpec(BreakerConfig.builder().target(BreakerTargetType.Outbound).route(route(route, "https://api.example.com/v1", localPort))
                .minimumNumberOfCalls(10).waitDurationInOpenState("30s").timeout("2s").retry(RetryConfig.defaults()).build());
    }

    public static RouteConfig route(String name, String upstream, int localPort) {
        return new RouteConfig(name, upstream, localPort, null);
    }

    public static final class PolicyBuilder {
        private final String namespace;
        private final String name;
        private final List<RuleConfig> rules = new ArrayList<>();
        private LabelSelector selector;
        private Mode mode;
        private Scope scope;
        private BackpressureConfig backpressure;

        private PolicyBuilder(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        public PolicyBuilder rule(RuleConfig rule) {
            rules.add(rule);
            return this;
        }

        public PolicyBuilder selecting(String label, String value) {
            selector = new LabelSelector(Map.of(label, value), List.of());
            return this;
        }

        public PolicyBuilder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        public PolicyBuilder scope(Scope scope) {
            this.scope = scope;
            return this;
        }

        public PolicyBuilder backpressure(BackpressureConfig backpressure) {
            this.backpressure = backpressure;
            return this;
        }

        public RateLimitPolicy build() {
            RateLimitPolicy policy = new RateLimitPolicy();
            policy.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withGeneration(1L).build());
            policy.setSpec(new RateLimitPolicySpec(selector, mode, scope, null, rules, backpressure));
            return policy;
        }
    }
}
