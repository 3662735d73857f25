package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.LimitType;
import dev.sluice.api.config.MissingKey;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.TierConfig;
import dev.sluice.api.config.TiersConfig;
import dev.sluice.sidecar.match.ClientAddresses;
import dev.sluice.sidecar.match.KeyExtractor;
import dev.sluice.sidecar.match.RequestMatcher;
import dev.sluice.sidecar.match.RequestView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One rule of one policy, compiled: matcher, key, limits per tier, counters by key, and its meters.
 * A Global rule keeps its counters in the shared store and, when the store cannot answer, applies
 * the policy's failure mode: its share of the limits counted locally (Open), or 503 (Closed).
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
    private final String tierHeader;
    private final String[] tierNames;
    private final LimitSpec[][] tierSpecs;
    private final int defaultTier;
    private final RuleStores stores;
    private final Shared shared;
    private final RejectionLog rejectionLog;
    private final Counter requests;
    private final Counter rejected;
    private final Counter shadowRejected;
    private final Counter fallbacks;
    private final FallbackLog fallbackLog;
    private final Counter withoutRoundTrip;
    private final List<Meter> counterMeters;
    private final MeterRegistry registry;
    private List<Meter> gaugeMeters = List.of();

    /** What a Global rule needs beyond a Local one: its store, its failure mode and the limits of its local share. */
    record Shared(SharedStore store, FailureMode failureMode, LimitSpec[][] fallbackSpecs) {
    }

    RuleLimiter(String policy, Mode mode, RuleConfig config, ClientAddresses clientAddresses, RuleStores stores, Shared shared,
                MeterRegistry registry) {
        this.policy = policy;
        this.rule = config.name();
        this.mode = mode;
        this.limitType = config.effectiveLimitType();
        this.matcher = RequestMatcher.compile(config.match());
        this.keys = new KeyExtractor(config.key(), clientAddresses);
        this.skipMissingKey = config.missingKey() == MissingKey.Skip;
        this.cost = config.cost();
        TiersConfig tiers = config.tiers();
        if (tiers == null) {
            this.tierHeader = null;
            this.tierNames = new String[] {""};
            this.defaultTier = 0;
        } else {
            this.tierHeader = tiers.header();
            this.tierNames = tiers.values().stream().map(TierConfig::name).toArray(String[]::new);
            this.defaultTier = List.of(tierNames).indexOf(tiers.defaultTier());
        }
        this.tierSpecs = specsByTier(config);
        this.stores = stores;
        this.shared = shared;
        this.rejectionLog = new RejectionLog(policy, rule);
        Tags tags = Tags.of("policy", policy, "rule", rule, "limit_type", limitType.label());
        this.requests = Counter.builder("rate_limit_requests").description("Requests evaluated by a rate-limit rule").tags(tags).register(registry);
        this.rejected = Counter.builder("rate_limit_rejected").description("Requests rejected by a rate-limit rule").tags(tags).register(registry);
        this.shadowRejected = Counter.builder("rate_limit_shadow_rejected")
                .description("Requests a rule in Shadow mode would have rejected").tags(tags).register(registry);
        this.registry = registry;
        List<Meter> cumulative = new ArrayList<>(List.of(requests, rejected, shadowRejected));
        if (shared != null) {
            this.fallbacks = Counter.builder("rate_limit_fallback")
                    .description("Decisions of a Global rule made without its shared store (unreachable, failing or too slow)")
                    .tags("policy", policy, "rule", rule, "failure_mode", shared.failureMode().name()).register(registry);
            this.withoutRoundTrip = Counter.builder("rate_limit_store_local_decisions")
                    .description("Decisions of a Global rule made from a lease or a remembered refusal, without a round trip")
                    .tags("policy", policy, "rule", rule).register(registry);
            cumulative.add(fallbacks);
            cumulative.add(withoutRoundTrip);
            this.fallbackLog = new FallbackLog(policy, rule, shared.failureMode());
        } else {
            this.fallbacks = null;
            this.fallbackLog = null;
            this.withoutRoundTrip = null;
        }
        this.counterMeters = List.copyOf(cumulative);
    }

    /**
     * Registers the meters that read this rule's key store, once the rule is in force: registered while
     * it is compiled, they would find the names still held by the meters of the store in force, and a
     * refused reload would leave them reading a store that never served.
     */
    void registerGauges() {
        List<Meter> storeMeters = new ArrayList<>();
        storeMeters.add(Gauge.builder("rate_limit_keys", stores, RuleStores::size)
                .description("Keys with counters held by a rule").tags("policy", policy, "rule", rule).register(registry));
        for (KeyStore.Eviction reason : KeyStore.Eviction.values()) {
            storeMeters.add(FunctionCounter.builder("rate_limit_keys_evicted", stores, s -> s.evicted(reason))
                    .description("Keys forgotten once their counters were full again: unseen for keys.idleTimeout (idle), or to make"
                            + " room for a new key at keys.maxPerRule (cap)")
                    .tags("policy", policy, "rule", rule, "reason", reason.label).register(registry));
        }
        storeMeters.add(FunctionCounter.builder("rate_limit_keys_overflow", stores, RuleStores::overflowed)
                .description("Requests of new keys counted in the rule's shared overflow counters, because the rule held"
                        + " keys.maxPerRule keys that were all still limited")
                .tags("policy", policy, "rule", rule).register(registry));
        gaugeMeters = List.copyOf(storeMeters);
    }

    static LimitSpec[][] specsByTier(RuleConfig config) {
        if (config.tiers() == null) {
            return new LimitSpec[][] {specs(config.name(), config.limits())};
        }
        return config.tiers().values().stream()
                .map(t -> specs(config.name() + "-" + t.name(), t.limits())).toArray(LimitSpec[][]::new);
    }

    static String[] tierNames(RuleConfig config) {
        return config.tiers() == null ? new String[] {""} : config.tiers().values().stream().map(TierConfig::name).toArray(String[]::new);
    }

    private static LimitSpec[] specs(String name, List<LimitConfig> limits) {
        return limits.stream().map(limit -> LimitSpec.of(name, limit)).toArray(LimitSpec[]::new);
    }

    /** Each limit divided among {@code replicas}. */
    static LimitSpec[][] share(LimitSpec[][] specs, int replicas) {
        LimitSpec[][] shares = new LimitSpec[specs.length][];
        for (int tier = 0; tier < specs.length; tier++) {
            shares[tier] = new LimitSpec[specs[tier].length];
            for (int i = 0; i < specs[tier].length; i++) {
                shares[tier][i] = specs[tier][i].share(replicas);
            }
        }
        return shares;
    }

    /** The counter factory for a store of local counters: the first character of a key is its tier's index. */
    static Function<String, LimitCounter[]> counterFactory(RuleConfig config, LimitSpec[][] specsByTier, LimiterClock clock) {
        CounterFactory factory = new CounterFactory(config.algorithm(), clock, config.timeZone());
        return key -> factory.create(specsByTier[key.charAt(0)]);
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
        int tier = tierOf(request);
        StringBuilder key = decision.key;
        key.setLength(0);
        key.append((char) tier);
        if (!keys.append(request, key) && skipMissingKey) {
            return true;
        }
        requests.increment();
        String keyString = key.toString();
        if (shared != null) {
            return evaluateShared(keyString, tier, decision);
        }
        return evaluateLocal(stores.local().countersFor(keyString, decision.nowNanos), tierSpecs[tier], keyString, decision);
    }

    private boolean evaluateLocal(LimitCounter[] counters, LimitSpec[] specs, String keyString, Decision decision) {
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
            rejectionLog.rejected(mode == Mode.Shadow, keyString, specs[i], decision.nowNanos);
            if (mode == Mode.Shadow) {
                shadowRejected.increment();
                decision.refundSince(consumedMark);
                return true;
            }
            rejected.increment();
            decision.dropReportsSince(reportedMark);
            decision.report(specs[i], usage);
            decision.reject(this, specs[i], usage);
            return false;
        }
        return true;
    }

    private boolean evaluateShared(String key, int tier, Decision decision) {
        SharedCounter counter = stores.shared().countersFor(key, decision.nowNanos);
        SharedOutcome outcome = decision.sharedOutcome.prepare(tierSpecs[tier].length);
        int local = counter.tryLocally(cost, decision.nowNanos, outcome);
        if (local != SharedCounter.NEEDS_STORE) {
            withoutRoundTrip.increment();
            return local == SharedCounter.ALLOWED ? sharedAllowed(counter, tier, outcome, decision) : sharedRefused(key, tier, outcome, decision);
        }
        if (!shared.store().available()) {
            return fallback(key, tier, decision, null);
        }
        decision.defer(this, counter, key);
        return true;
    }

    /**
     * Decides a deferred request through the store; completes on a store thread, with the request's
     * decision updated. A store failure or timeout applies the failure mode.
     */
    CompletableFuture<Boolean> decideShared(SharedCounter counter, String key, Decision decision) {
        int tier = key.charAt(0);
        SharedOutcome outcome = new SharedOutcome().prepare(tierSpecs[tier].length);
        return counter.decide(cost, decision.nowNanos, outcome).handle((done, error) -> {
            if (error != null) {
                return fallback(key, tier, decision, error);
            }
            return done.allowed() ? sharedAllowed(counter, tier, done, decision) : sharedRefused(key, tier, done, decision);
        });
    }

    private boolean sharedAllowed(SharedCounter counter, int tier, SharedOutcome outcome, Decision decision) {
        decision.consumed(counter, cost);
        if (mode == Mode.Enforce) {
            LimitSpec[] specs = tierSpecs[tier];
            for (int i = 0; i < specs.length; i++) {
                decision.report(specs[i], outcome.usage(i));
            }
        }
        return true;
    }

    private boolean sharedRefused(String key, int tier, SharedOutcome outcome, Decision decision) {
        LimitSpec spec = tierSpecs[tier][outcome.refusedLimit()];
        Usage usage = outcome.usage(outcome.refusedLimit());
        rejectionLog.rejected(mode == Mode.Shadow, key, spec, decision.nowNanos);
        if (mode == Mode.Shadow) {
            shadowRejected.increment();
            return true;
        }
        rejected.increment();
        decision.report(spec, usage);
        decision.reject(this, spec, usage);
        return false;
    }

    /** The store could not decide: Open counts this sidecar's share locally; Closed refuses (but Shadow never does). */
    private boolean fallback(String key, int tier, Decision decision, Throwable error) {
        fallbacks.increment();
        fallbackLog.fellBack(error, decision.nowNanos);
        if (shared.failureMode() == FailureMode.Closed) {
            if (mode == Mode.Shadow) {
                return true;
            }
            decision.unavailable(this);
            return false;
        }
        return evaluateLocal(stores.local().countersFor(key, decision.nowNanos), shared.fallbackSpecs()[tier], key, decision);
    }

    private int tierOf(RequestView request) {
        if (tierHeader == null) {
            return 0;
        }
        String value = request.header(tierHeader);
        if (value != null) {
            for (int i = 0; i < tierNames.length; i++) {
                if (tierNames[i].equals(value)) {
                    return i;
                }
            }
        }
        return defaultTier;
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
        return shared != null;
    }

    public FailureMode failureMode() {
        return shared == null ? null : shared.failureMode();
    }

    public long keyCount() {
        return stores.size();
    }

    RuleStores stores() {
        return stores;
    }

    /** Cumulative meters, kept across reloads while the rule exists. */
    List<Meter> counterMeters() {
        return counterMeters;
    }

    /** Meters that read this rule's key store, replaced with the store; none until {@link #registerGauges()}. */
    List<Meter> gaugeMeters() {
        return gaugeMeters;
    }
}
