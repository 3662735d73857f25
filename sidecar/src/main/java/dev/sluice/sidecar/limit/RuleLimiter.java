package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.LimitType;
import dev.sluice.api.config.MissingKey;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.sidecar.match.ClientAddresses;
import dev.sluice.sidecar.match.KeyExtractor;
import dev.sluice.sidecar.match.RequestKey;
import dev.sluice.sidecar.match.RequestMatcher;
import dev.sluice.sidecar.match.RequestView;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One rule of one policy, compiled: matcher, key, tiers, counters by key, and its meters. A Local
 * rule is decided here, from counters in this sidecar; a Global rule hands its requests to its
 * {@link GlobalRule}, which decides them through the shared store.
 */
public final class RuleLimiter {
    private final String policy;
    private final String rule;
    private final Mode mode;
    private final LimitType limitType;
    private final RequestMatcher matcher;
    private final KeyExtractor keys;
    private final boolean skipMissingKey;
    private final long cost;
    private final Tiers tiers;
    private final RuleStores stores;
    private final GlobalRule global;
    private final RuleMeters meters;

    /**
     * A rule's counts since the sidecar started, kept across reloads while the rule stays in the configuration (a rule
     * that leaves it and comes back starts again from zero, as its Prometheus counters do).
     *
     * @param requests requests the rule evaluated (matched, with a key)
     * @param rejected requests it rejected (mode Enforce)
     * @param shadowRejected requests it would have rejected (mode Shadow)
     * @param fallbacks decisions of a Global rule made without its store (0 for a Local rule)
     */
    public record Counts(long requests, long rejected, long shadowRejected, long fallbacks) {
    }

    /** What a Global rule needs beyond a Local one: its store, its failure mode and its tiers with this sidecar's share of each limit. */
    record Shared(SharedStore store, FailureMode failureMode, Tiers fallbackTiers) {
    }

    /** {@code tiers}: computed once from {@code config} by the caller, which sized {@code stores} by them; {@code shared}: null for a Local rule. */
    RuleLimiter(String policy, Mode mode, RuleConfig config, Tiers tiers, ClientAddresses clientAddresses, RuleStores stores, Shared shared,
                MeterRegistry registry) {
        this.policy = policy;
        this.rule = config.name();
        this.mode = mode;
        this.limitType = config.effectiveLimitType();
        this.matcher = RequestMatcher.compile(config.match());
        this.keys = new KeyExtractor(config.key(), clientAddresses);
        this.skipMissingKey = config.missingKey() == MissingKey.Skip;
        this.cost = config.cost();
        this.tiers = tiers;
        this.stores = stores;
        this.global = shared == null ? null : new GlobalRule(this, shared.store(), shared.failureMode(), shared.fallbackTiers());
        this.meters = new RuleMeters(policy, rule, limitType, shared == null ? null : shared.failureMode(), registry);
    }

    /** Registers the meters that read this rule's key store, once the rule is in force. */
    void registerGauges() {
        meters.registerGauges(stores);
    }

    /** The counter factory for a store of local counters: the first character of a key is its tier's index. */
    static Function<String, LimitCounter[]> counterFactory(RuleConfig config, Tiers tiers) {
        CounterFactory factory = new CounterFactory(config.algorithm(), config.timeZone());
        return key -> factory.create(tiers.specs(key.charAt(0)));
    }

    /**
     * Evaluates this rule for a request, taking its cost from every limit of the request's key. A
     * Global rule that only its store can decide is {@linkplain Decision#defer deferred}.
     *
     * @return false if the rule refuses the request in {@link Mode#Enforce}; the decision then says why
     */
    boolean evaluate(RequestView request, Decision decision) {
        if (!matcher.matches(request)) {
            return true;
        }
        int tier = tiers.of(request);
        RequestKey key = decision.key.clear().append((char) tier);
        if (!keys.append(request, key) && skipMissingKey) {
            return true;
        }
        meters.evaluated();
        if (global != null) {
            return global.evaluate(key, tier, decision);
        }
        return evaluateLocal(stores.local().countersFor(key, decision.nowNanos), tiers.specs(tier), key, decision);
    }

    /** Takes the cost from each of {@code counters} (limited by {@code specs}) in turn, giving all back if one refuses. */
    boolean evaluateLocal(LimitCounter[] counters, LimitSpec[] specs, CharSequence key, Decision decision) {
        int consumedMark = decision.consumedMark();
        int reportedMark = decision.reportedMark();
        Usage usage = decision.usage;
        for (int i = 0; i < counters.length; i++) {
            if (counters[i].tryConsume(cost, decision.nowNanos, usage)) {
                decision.consumed(counters[i], cost);
                if (mode == Mode.Enforce) {
                    decision.report(specs[i], usage);
                }
                continue;
            }
            meters.refused(mode == Mode.Shadow, key, specs[i], decision.nowNanos);
            if (mode == Mode.Shadow) {
                decision.refundSince(consumedMark);
                return true;
            }
            decision.dropReportsSince(reportedMark);
            decision.report(specs[i], usage);
            decision.reject(this, specs[i], usage);
            return false;
        }
        return true;
    }

    /** Decides a deferred request through the shared store; see {@link GlobalRule#decide}. */
    CompletableFuture<Boolean> decideShared(SharedCounter counter, String key, Decision decision) {
        return global.decide(counter, key, decision);
    }

    public String policy() {
        return policy;
    }

    public String rule() {
        return rule;
    }

    public Mode mode() {
        return mode;
    }

    public LimitType limitType() {
        return limitType;
    }

    /** Whether the rule's limits are shared by every replica through the store. */
    public boolean global() {
        return global != null;
    }

    public FailureMode failureMode() {
        return global == null ? null : global.failureMode();
    }

    public long keyCount() {
        return stores.size();
    }

    public Counts counts() {
        return meters.counts();
    }

    long cost() {
        return cost;
    }

    Tiers tiers() {
        return tiers;
    }

    RuleMeters meters() {
        return meters;
    }

    RuleStores stores() {
        return stores;
    }

    /** Cumulative meters, kept across reloads while the rule exists. */
    List<Meter> counterMeters() {
        return meters.counterMeters();
    }

    /** Meters that read this rule's key store, replaced with the store; none until {@link #registerGauges()}. */
    List<Meter> gaugeMeters() {
        return meters.gaugeMeters();
    }
}
