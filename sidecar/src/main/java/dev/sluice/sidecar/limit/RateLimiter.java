package dev.sluice.sidecar.limit;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.KeySettings;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.match.ClientAddresses;
import dev.sluice.sidecar.match.RequestView;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rate limits of one configuration, compiled for this pod. A request passes only if every
 * matching rule of every policy allows it; when one refuses, whatever the others had taken for it is
 * given back, so a refused request costs no rule anything.
 *
 * <p>Local rules are decided first, on the calling thread. Global rules that cannot be decided from
 * what this sidecar holds are {@linkplain Decision#deferred() deferred} and decided afterwards through
 * the shared store, one after the other, by {@link #complete(Decision)}: a request a Local rule
 * refuses never reaches the store, and one a Global rule refuses gives back what the rules before
 * it took (to a lease at no cost, or to the store with one more call).
 */
public final class RateLimiter {
    private static final CompletableFuture<Boolean> ALLOWED = CompletableFuture.completedFuture(true);
    private static final CompletableFuture<Boolean> REFUSED = CompletableFuture.completedFuture(false);

    private final RuleLimiter[] rules;
    private final Map<StateKey, RuleStores> stores;
    private final SharedStores sharedStores;
    private final LimiterClock clock;
    private final List<String> appliedPolicies;
    private final List<String> warnings;

    private RateLimiter(List<RuleLimiter> rules, Map<StateKey, RuleStores> stores, SharedStores sharedStores, LimiterClock clock,
                        List<String> appliedPolicies, List<String> warnings) {
        this.rules = rules.toArray(RuleLimiter[]::new);
        this.stores = stores;
        this.sharedStores = sharedStores;
        this.clock = clock;
        this.appliedPolicies = List.copyOf(appliedPolicies);
        this.warnings = List.copyOf(warnings);
    }

    public static RateLimiter empty(LimiterClock clock) {
        return empty(clock, SharedStores.NONE);
    }

    /** No limits yet; Global policies compiled from it on will use {@code sharedStores}. */
    public static RateLimiter empty(LimiterClock clock, SharedStores sharedStores) {
        return new RateLimiter(List.of(), Map.of(), sharedStores, clock, List.of(), List.of());
    }

    /**
     * Compiles a validated configuration. Rules whose configuration is unchanged from {@code previous}
     * keep their counters; {@code podLabels} selects the policies that apply (null: standalone, all apply).
     */
    public static RateLimiter compile(SidecarConfig config, Map<String, String> podLabels, RateLimiter previous,
                                      MeterRegistry registry, LimiterClock clock) {
        ClientAddresses clientAddresses = new ClientAddresses(config.trustedProxies());
        Duration idleTimeout = LimitPeriod.parseDuration(config.keys().idleTimeout());
        Map<String, RuleLimiter> previousByName = new HashMap<>();
        for (RuleLimiter rule : previous.rules) {
            previousByName.put(rule.policy() + "\n" + rule.rule(), rule);
        }
        List<RuleLimiter> rules = new ArrayList<>();
        Map<StateKey, RuleStores> stores = new HashMap<>();
        List<String> applied = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (PolicyConfig policy : config.policies()) {
            if (podLabels != null && !policy.podSelector().matches(podLabels)) {
                continue;
            }
            applied.add(policy.qualifiedName());
            boolean global = policy.scope() == Scope.Global;
            SharedStore sharedStore = null;
            if (global && config.redis() == null) {
                sharedStore = SharedStores.NONE.storeFor(null);
                warnings.add("policy " + policy.qualifiedName() + ": scope Global but the configuration has no redis section;"
                        + " failureMode " + policy.failureMode() + " applies to every request"
                        + (policy.failureMode() == FailureMode.Open ? " (each sidecar enforces its share of the limits)" : " (503)"));
            } else if (global) {
                sharedStore = previous.sharedStores.storeFor(config.redis());
            }
            if (global && policy.replicas() == null) {
                warnings.add("policy " + policy.qualifiedName() + ": scope Global without replicas; while Redis is unreachable"
                        + (policy.failureMode() == FailureMode.Open
                        ? " each sidecar enforces the whole limit on its own" : " requests get 503 (failureMode Closed)"));
            }
            for (FieldError warning : ConfigValidator.warnings(policy.scope(), policy.rules(), "rules")) {
                warnings.add("policy " + policy.qualifiedName() + ": " + warning);
            }
            for (RuleConfig rule : policy.rules()) {
                StateKey stateKey = new StateKey(policy.qualifiedName(), rule, config.keys(), policy.scope(),
                        global ? config.redis() : null, global ? policy.effectiveReplicas() : 0);
                RuleStores store = previous.stores.get(stateKey);
                String name = policy.qualifiedName() + "\n" + rule.name();
                names.add(name);
                LimitSpec[][] specs = RuleLimiter.specsByTier(rule);
                LimitSpec[][] localSpecs = global ? RuleLimiter.share(specs, policy.effectiveReplicas()) : specs;
                if (store == null) {
                    RuleLimiter replaced = previousByName.get(name);
                    if (replaced != null) {
                        replaced.gaugeMeters().forEach(registry::remove);
                    }
                    KeyStore<LimitCounter[]> local = new KeyStore<>(config.keys().maxPerRule(), idleTimeout, specs.length,
                            RuleLimiter.counterFactory(rule, localSpecs, clock), KeyRetention.LOCAL);
                    KeyStore<SharedCounter> shared = global ? new KeyStore<>(config.keys().maxPerRule(), idleTimeout, specs.length,
                            sharedStore.counters(sharedSpec(policy, rule, specs)), KeyRetention.SHARED) : null;
                    store = new RuleStores(local, shared);
                }
                stores.put(stateKey, store);
                RuleLimiter.Shared shared = global ? new RuleLimiter.Shared(sharedStore, policy.failureMode(), localSpecs) : null;
                rules.add(new RuleLimiter(policy.qualifiedName(), policy.mode(), rule, clientAddresses, store, shared, registry));
            }
        }
        for (Map.Entry<String, RuleLimiter> old : previousByName.entrySet()) {
            if (!names.contains(old.getKey())) {
                old.getValue().counterMeters().forEach(registry::remove);
                old.getValue().gaugeMeters().forEach(registry::remove);
            }
        }
        return new RateLimiter(rules, stores, previous.sharedStores, clock, applied, warnings);
    }

    private static SharedRuleSpec sharedSpec(PolicyConfig policy, RuleConfig rule, LimitSpec[][] specs) {
        ZoneId zone = rule.timeZone() == null ? ZoneOffset.UTC : ZoneId.of(rule.timeZone());
        return new SharedRuleSpec(policy.namespace(), policy.name(), rule.name(), rule.algorithm(), zone,
                RuleLimiter.tierNames(rule), specs, rule.cost(), policy.effectiveReplicas());
    }

    /**
     * Decides one request into {@code decision}, waiting for the shared store if a Global rule needs
     * it: for callers that may block (tests, benchmarks); the request path uses {@link #evaluate} and
     * {@link #complete}.
     *
     * @return whether the request may pass
     */
    public boolean decide(RequestView request, Decision decision) {
        if (!evaluate(request, decision)) {
            return false;
        }
        return !decision.deferred() || complete(decision).join();
    }

    /**
     * Decides what can be decided without waiting: every Local rule, and Global rules that what this
     * sidecar holds can decide. Never blocks.
     *
     * @return false if the request is refused; true if it passes, or, when {@link Decision#deferred()},
     *     if it passes so far and {@link #complete} must finish the decision
     */
    public boolean evaluate(RequestView request, Decision decision) {
        decision.reset(clock.nanos());
        for (RuleLimiter rule : rules) {
            if (!rule.evaluate(request, decision)) {
                decision.refundSince(0);
                return false;
            }
        }
        return true;
    }

    /**
     * Finishes a deferred decision through the shared store. Completes on a store thread (or at once),
     * never exceptionally: a store failure applies the rule's failure mode.
     */
    public CompletableFuture<Boolean> complete(Decision decision) {
        return completeFrom(decision, 0);
    }

    private static CompletableFuture<Boolean> completeFrom(Decision decision, int index) {
        if (index == decision.deferredCount()) {
            return ALLOWED;
        }
        return decision.deferredRule(index).decideShared(decision.deferredCounter(index), decision.deferredKey(index), decision)
                .thenCompose(allowed -> {
                    if (!allowed) {
                        decision.refundSince(0);
                        return REFUSED;
                    }
                    return completeFrom(decision, index + 1);
                });
    }

    public List<RuleLimiter> rules() {
        return List.of(rules);
    }

    public List<String> appliedPolicies() {
        return appliedPolicies;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** Forgets now, in every store, the keys that are full again and idle (requests otherwise sweep a slice at a time). */
    public void cleanUp() {
        long now = clock.nanos();
        for (RuleLimiter rule : rules) {
            rule.stores().cleanUp(now);
        }
    }

    /**
     * What identifies a rule's counters across reloads: the same rule, of the same policy, with the
     * same key bounds, kept in the same place (scope, and for Global the same Redis and replica count).
     */
    private record StateKey(String policy, RuleConfig rule, KeySettings keys, Scope scope, RedisConfig redis, int replicas) {
    }

}
