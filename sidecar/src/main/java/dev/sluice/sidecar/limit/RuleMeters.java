package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.LimitType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;

/**
 * What one rule reports: its counters (requests, rejections, and for a Global rule fallbacks and
 * decisions without a round trip), the gauges that read its key store, and its throttled log lines.
 * The counters are registered when the rule is compiled and shared by name and labels with the rule of
 * the previous configuration; the gauges only once the rule is in force.
 */
final class RuleMeters {
    private final String policy;
    private final String rule;
    private final MeterRegistry registry;
    private final Counter requests;
    private final Counter rejected;
    private final Counter shadowRejected;
    private final Counter fallbacks;
    private final Counter withoutRoundTrip;
    private final RejectionLog rejectionLog;
    private final FallbackLog fallbackLog;
    private final List<Meter> counterMeters;
    private List<Meter> gaugeMeters = List.of();

    /** {@code failureMode}: a Global rule's, or null for a Local rule. */
    RuleMeters(String policy, String rule, LimitType limitType, FailureMode failureMode, MeterRegistry registry) {
        this.policy = policy;
        this.rule = rule;
        this.registry = registry;
        this.rejectionLog = new RejectionLog(policy, rule);
        Tags tags = Tags.of("policy", policy, "rule", rule, "limit_type", limitType.label());
        this.requests = Counter.builder("rate_limit_requests").description("Requests evaluated by a rate-limit rule").tags(tags).register(registry);
        this.rejected = Counter.builder("rate_limit_rejected").description("Requests rejected by a rate-limit rule").tags(tags).register(registry);
        this.shadowRejected = Counter.builder("rate_limit_shadow_rejected")
                .description("Requests a rule in Shadow mode would have rejected").tags(tags).register(registry);
        List<Meter> cumulative = new ArrayList<>(List.of(requests, rejected, shadowRejected));
        if (failureMode != null) {
            this.fallbacks = Counter.builder("rate_limit_fallback")
                    .description("Decisions of a Global rule made without its shared store (unreachable, failing or too slow)")
                    .tags("policy", policy, "rule", rule, "failure_mode", failureMode.name()).register(registry);
            this.withoutRoundTrip = Counter.builder("rate_limit_store_local_decisions")
                    .description("Decisions of a Global rule made from a lease or a remembered refusal, without a round trip")
                    .tags("policy", policy, "rule", rule).register(registry);
            cumulative.add(fallbacks);
            cumulative.add(withoutRoundTrip);
            this.fallbackLog = new FallbackLog(policy, rule, failureMode);
        } else {
            this.fallbacks = null;
            this.fallbackLog = null;
            this.withoutRoundTrip = null;
        }
        this.counterMeters = List.copyOf(cumulative);
    }

    void evaluated() {
        requests.increment();
    }

    /** A limit refused a request: counted as rejected, or as what Shadow mode would have rejected, and logged at most once per interval. */
    void refused(boolean shadow, CharSequence key, LimitSpec limit, long nowNanos) {
        rejectionLog.rejected(shadow, key, limit, nowNanos);
        (shadow ? shadowRejected : rejected).increment();
    }

    /** A Global rule decided without its store; {@code error} is the store's failure, or null when it was not asked. */
    void fellBack(Throwable error, long nowNanos) {
        fallbacks.increment();
        fallbackLog.fellBack(error, nowNanos);
    }

    void decidedWithoutRoundTrip() {
        withoutRoundTrip.increment();
    }

    /**
     * Registers the meters that read the rule's key store, once the rule is in force: registered while
     * it is compiled, they would find the names still held by the meters of the store in force, and a
     * refused reload would leave them reading a store that never served.
     */
    void registerGauges(RuleStores stores) {
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

    /** The cumulative counts so far; shared with the same rule of earlier configurations. */
    RuleLimiter.Counts counts() {
        return new RuleLimiter.Counts((long) requests.count(), (long) rejected.count(), (long) shadowRejected.count(),
                fallbacks == null ? 0 : (long) fallbacks.count());
    }

    /** Cumulative meters, kept across reloads while the rule exists. */
    List<Meter> counterMeters() {
        return counterMeters;
    }

    /** Meters that read the rule's key store, replaced with the store; none until {@link #registerGauges}. */
    List<Meter> gaugeMeters() {
        return gaugeMeters;
    }
}
