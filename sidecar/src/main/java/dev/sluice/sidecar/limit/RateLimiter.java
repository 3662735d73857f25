package dev.sluice.sidecar.limit;

import dev.sluice.api.config.KeySettings;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.match.ClientAddresses;
import dev.sluice.sidecar.match.RequestView;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
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
 */
public final class RateLimiter {
    private final RuleLimiter[] rules;
    private final Map<StateKey, KeyStore> stores;
    private final LimiterClock clock;
    private final List<String> appliedPolicies;
    private final List<String> warnings;

    private RateLimiter(List<RuleLimiter> rules, Map<StateKey, KeyStore> stores, LimiterClock clock,
                        List<String> appliedPolicies, List<String> warnings) {
        this.rules = rules.toArray(RuleLimiter[]::new);
        this.stores = stores;
        this.clock = clock;
        this.appliedPolicies = List.copyOf(appliedPolicies);
        this.warnings = List.copyOf(warnings);
    }

    public static RateLimiter empty(LimiterClock clock) {
        return new RateLimiter(List.of(), Map.of(), clock, List.of(), List.of());
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
        Map<StateKey, KeyStore> stores = new HashMap<>();
        List<String> applied = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (PolicyConfig policy : config.policies()) {
            if (podLabels != null && !policy.podSelector().matches(podLabels)) {
                continue;
            }
            applied.add(policy.qualifiedName());
            if (policy.scope() == Scope.Global) {
                warnings.add("policy " + policy.qualifiedName() + ": scope Global is not enforced across replicas by this sidecar yet;"
                        + " each pod enforces the limits on its own (as scope Local)");
            }
            for (RuleConfig rule : policy.rules()) {
                StateKey stateKey = new StateKey(policy.qualifiedName(), rule, config.keys());
                KeyStore store = previous.stores.get(stateKey);
                String name = policy.qualifiedName() + "\n" + rule.name();
                names.add(name);
                if (store == null) {
                    RuleLimiter replaced = previousByName.get(name);
                    if (replaced != null) {
                        replaced.gaugeMeters().forEach(registry::remove);
                    }
                    store = new KeyStore(config.keys().maxPerRule(), idleTimeout, clock, RuleLimiter.counterFactory(rule, clock));
                }
                stores.put(stateKey, store);
                rules.add(new RuleLimiter(policy.qualifiedName(), policy.mode(), rule, clientAddresses, store, registry));
            }
        }
        for (Map.Entry<String, RuleLimiter> old : previousByName.entrySet()) {
            if (!names.contains(old.getKey())) {
                old.getValue().counterMeters().forEach(registry::remove);
                old.getValue().gaugeMeters().forEach(registry::remove);
            }
        }
        return new RateLimiter(rules, stores, clock, applied, warnings);
    }

    /**
     * Decides one request into {@code decision}.
     *
     * @return whether the request may pass
     */
    public boolean decide(RequestView request, Decision decision) {
        decision.reset(clock.nanos());
        for (RuleLimiter rule : rules) {
            if (!rule.evaluate(request, decision)) {
                decision.refundSince(0);
                return false;
            }
        }
        return true;
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

    /** Runs pending key expiry in every store now. */
    public void cleanUp() {
        for (RuleLimiter rule : rules) {
            rule.store().cleanUp();
        }
    }

    /** What identifies a rule's counters across reloads: the same rule, of the same policy, with the same key bounds. */
    private record StateKey(String policy, RuleConfig rule, KeySettings keys) {
    }

}
