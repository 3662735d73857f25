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

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

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
    private final SharedStore sharedStore;
    private final MeterRegistry registry;
    private final LimiterClock clock;
    private final List<String> appliedPolicies;
    private final List<String> warnings;

    private RateLimiter(List<RuleLimiter> rules, Map<StateKey, RuleStores> stores, SharedStores sharedStores, SharedStore sharedStore,
                        MeterRegistry registry, LimiterClock clock, List<String> appliedPolicies, List<String> warnings) {
        this.rules = rules.toArray(RuleLimiter[]::new);
        this.stores = stores;
        this.sharedStores = sharedStores;
        this.sharedStore = sharedStore;
        this.registry = registry;
        this.clock = clock;
        this.appliedPolicies = List.copyOf(appliedPolicies);
        this.warnings = List.copyOf(warnings);
    }

    public static RateLimiter empty(LimiterClock clock) {
        return empty(clock, SharedStores.NONE);
    }

    /** No limits yet; Global policies compiled from it on will use {@code sharedStores}. */
    public static RateLimiter empty(LimiterClock clock, SharedStores sharedStores) {
        return new RateLimiter(List.of(), Map.of(), sharedStores, null, null, clock, List.of(), List.of());
    }

    /**
     * Compiles a validated configuration aside: nothing in force changes until the result is
     * {@linkplain #putInForce put in force} (or {@linkplain #discard discarded}). Rules whose
     * configuration is unchanged from {@code previous} keep their counters; {@code podLabels} selects the
     * policies that apply (null: standalone, all apply).
     */
    public static RateLimiter compile(SidecarConfig config, Map<String, String> podLabels, RateLimiter previous,
                                      MeterRegistry registry, LimiterClock clock) {
        ClientAddresses clientAddresses = new ClientAddresses(config.trustedProxies());
        Duration idleTimeout = LimitPeriod.parseDuration(config.keys().idleTimeout());
        List<RuleLimiter> rules = new ArrayList<>();
        Map<StateKey, RuleStores> stores = new HashMap<>();
        List<String> applied = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        SharedStore redisStore = null;
        try {
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
                    if (redisStore == null) {
                        redisStore = previous.sharedStores.storeFor(config.redis());
                    }
                    sharedStore = redisStore;
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
                    Tiers tiers = Tiers.of(rule);
                    Tiers localTiers = global ? tiers.share(policy.effectiveReplicas()) : tiers;
                    if (store == null) {
                        KeyStore<LimitCounter[]> local = new KeyStore<>(config.keys().maxPerRule(), idleTimeout, tiers.count(),
                                RuleLimiter.counterFactory(rule, localTiers), KeyRetention.LOCAL);
                        KeyStore<SharedCounter> shared = global ? new KeyStore<>(config.keys().maxPerRule(), idleTimeout, tiers.count(),
                                sharedStore.counters(sharedSpec(policy, rule, tiers)), KeyRetention.SHARED) : null;
                        store = new RuleStores(local, shared);
                    }
                    stores.put(stateKey, store);
                    RuleLimiter.Shared shared = global ? new RuleLimiter.Shared(sharedStore, policy.failureMode(), localTiers) : null;
                    rules.add(new RuleLimiter(policy.qualifiedName(), policy.mode(), rule, tiers, clientAddresses, store, shared, registry));
                }
            }
        } catch (RuntimeException e) {
            new RateLimiter(rules, stores, previous.sharedStores, redisStore, registry, clock, applied, warnings).discard(previous);
            throw e;
        }
        return new RateLimiter(rules, stores, previous.sharedStores, redisStore, registry, clock, applied, warnings);
    }

    /**
     * Completes the swap once this limiter replaced {@code previous} in force: the meters of rules
     * that are gone, and of key stores that were replaced, go; the key gauges now read this limiter's
     * stores; a newly opened shared store becomes the one in force.
     */
    public void putInForce(RateLimiter previous) {
        if (sharedStore != null) {
            sharedStores.putInForce(sharedStore);
        }
        Set<RuleStores> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (RuleLimiter rule : rules) {
            kept.add(rule.stores());
        }
        for (RuleLimiter old : previous.rules) {
            if (!kept.contains(old.stores())) {
                old.gaugeMeters().forEach(registry::remove);
            }
        }
        for (RuleLimiter rule : rules) {
            rule.registerGauges();
        }
        removeCountersNotIn(previous, this);
    }

    /** Undoes the compilation of a limiter that will not be put in force, leaving {@code inForce} as it was. */
    public void discard(RateLimiter inForce) {
        removeCountersNotIn(this, inForce);
        if (sharedStore != null) {
            sharedStores.discard(sharedStore);
        }
    }

    /** Removes every meter of a limiter taken out of force with nothing in its place (an outbound route that is gone). */
    public void retire() {
        for (RuleLimiter rule : rules) {
            rule.counterMeters().forEach(registry::remove);
            rule.gaugeMeters().forEach(registry::remove);
        }
    }

    /** Counters are shared by name and labels between the limiters of successive reloads: only those {@code kept} no longer has go. */
    private void removeCountersNotIn(RateLimiter from, RateLimiter kept) {
        Set<Meter.Id> keep = new HashSet<>();
        for (RuleLimiter rule : kept.rules) {
            rule.counterMeters().forEach(meter -> keep.add(meter.getId()));
        }
        for (RuleLimiter rule : from.rules) {
            for (Meter meter : rule.counterMeters()) {
                if (!keep.contains(meter.getId())) {
                    registry.remove(meter);
                }
            }
        }
    }

    private static SharedRuleSpec sharedSpec(PolicyConfig policy, RuleConfig rule, Tiers tiers) {
        ZoneId zone = rule.timeZone() == null ? ZoneOffset.UTC : ZoneId.of(rule.timeZone());
        return new SharedRuleSpec(policy.namespace(), policy.name(), rule.name(), rule.algorithm(), zone,
                tiers.names(), tiers.specs(), rule.cost(), policy.effectiveReplicas());
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
