package dev.sluice.sidecar.limit;

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
import java.util.List;
import java.util.function.Function;

/** One rule of one policy, compiled: matcher, key, limits per tier, counters by key, and its meters. */
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
    private final KeyStore store;
    private final RejectionLog rejectionLog;
    private final Counter requests;
    private final Counter rejected;
    private final Counter shadowRejected;
    private final List<Meter> counterMeters;
    private final List<Meter> gaugeMeters;

    RuleLimiter(String policy, Mode mode, RuleConfig config, ClientAddresses clientAddresses, KeyStore store, MeterRegistry registry) {
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
            this.tierSpecs = new LimitSpec[][] {specs(config.name(), config.limits())};
            this.defaultTier = 0;
        } else {
            this.tierHeader = tiers.header();
            this.tierNames = tiers.values().stream().map(TierConfig::name).toArray(String[]::new);
            this.tierSpecs = tiers.values().stream().map(t -> specs(config.name() + "-" + t.name(), t.limits())).toArray(LimitSpec[][]::new);
            this.defaultTier = List.of(tierNames).indexOf(tiers.defaultTier());
        }
        this.store = store;
        this.rejectionLog = new RejectionLog(policy, rule);
        Tags tags = Tags.of("policy", policy, "rule", rule, "limit_type", limitType.label());
        this.requests = Counter.builder("rate_limit_requests").description("Requests evaluated by a rate-limit rule").tags(tags).register(registry);
        this.rejected = Counter.builder("rate_limit_rejected").description("Requests rejected by a rate-limit rule").tags(tags).register(registry);
        this.shadowRejected = Counter.builder("rate_limit_shadow_rejected")
                .description("Requests a rule in Shadow mode would have rejected").tags(tags).register(registry);
        Gauge keysGauge = Gauge.builder("rate_limit_keys", store, KeyStore::size)
                .description("Keys with counters held by a rule").tags("policy", policy, "rule", rule).register(registry);
        FunctionCounter evicted = FunctionCounter.builder("rate_limit_keys_evicted", store, KeyStore::evictedForSize)
                .description("Keys dropped because the rule held its maximum number of keys").tags("policy", policy, "rule", rule).register(registry);
        this.counterMeters = List.of(requests, rejected, shadowRejected);
        this.gaugeMeters = List.of(keysGauge, evicted);
    }

    private static LimitSpec[] specs(String name, List<LimitConfig> limits) {
        return limits.stream().map(limit -> LimitSpec.of(name, limit)).toArray(LimitSpec[]::new);
    }

    /** The counter factory for a store: the first character of a key is its tier's index. */
    static Function<String, LimitCounter[]> counterFactory(RuleConfig config, LimiterClock clock) {
        CounterFactory factory = new CounterFactory(config.algorithm(), clock, config.timeZone());
        LimitSpec[][] specsByTier;
        if (config.tiers() == null) {
            specsByTier = new LimitSpec[][] {specs(config.name(), config.limits())};
        } else {
            specsByTier = config.tiers().values().stream()
                    .map(t -> specs(config.name() + "-" + t.name(), t.limits())).toArray(LimitSpec[][]::new);
        }
        return key -> factory.create(specsByTier[key.charAt(0)]);
    }

    /**
     * Evaluates this rule for a request, taking its cost from every limit of the request's key.
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
        LimitCounter[] counters = store.countersFor(keyString);
        LimitSpec[] specs = tierSpecs[tier];
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

    public long keyCount() {
        return store.size();
    }

    KeyStore store() {
        return store;
    }

    /** Cumulative meters, kept across reloads while the rule exists. */
    List<Meter> counterMeters() {
        return counterMeters;
    }

    /** Meters that read this rule's key store, replaced with the store. */
    List<Meter> gaugeMeters() {
        return gaugeMeters;
    }
}
