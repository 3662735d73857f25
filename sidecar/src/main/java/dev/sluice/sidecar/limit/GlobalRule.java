package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.Mode;
import dev.sluice.sidecar.match.RequestKey;
import java.util.concurrent.CompletableFuture;

/**
 * The Global path of a rule: its counters live in the shared store. A request is decided from what
 * this sidecar holds (a lease, a remembered refusal) when it can be, else deferred to the store; when
 * the store cannot answer, the policy's failure mode applies: the rule's share of the limits counted
 * locally (Open), or 503 (Closed).
 */
final class GlobalRule {
    private final RuleLimiter rule;
    private final SharedStore store;
    private final FailureMode failureMode;
    private final Tiers fallbackTiers;

    /** {@code fallbackTiers}: the rule's tiers with this sidecar's share of each limit, counted locally under failure mode Open. */
    GlobalRule(RuleLimiter rule, SharedStore store, FailureMode failureMode, Tiers fallbackTiers) {
        this.rule = rule;
        this.store = store;
        this.failureMode = failureMode;
        this.fallbackTiers = fallbackTiers;
    }

    FailureMode failureMode() {
        return failureMode;
    }

    boolean evaluate(RequestKey requestKey, int tier, Decision decision) {
        SharedCounter counter = rule.stores().shared().countersFor(requestKey, decision.nowNanos);
        // The store's own String once it holds the key: made only for a key it meets for the first time.
        String key = requestKey.toString();
        SharedOutcome outcome = decision.sharedOutcome.prepare(rule.tiers().specs(tier).length);
        int local = counter.tryLocally(rule.cost(), decision.nowNanos, outcome);
        if (local != SharedCounter.NEEDS_STORE) {
            rule.meters().decidedWithoutRoundTrip();
            return local == SharedCounter.ALLOWED ? allowed(counter, tier, outcome, decision) : refused(key, tier, outcome, decision);
        }
        if (!store.available()) {
            return fallback(key, tier, decision, null);
        }
        decision.defer(rule, counter, key);
        return true;
    }

    /**
     * Decides a deferred request through the store; completes on a store thread, with the request's
     * decision updated. A store failure or timeout applies the failure mode.
     */
    CompletableFuture<Boolean> decide(SharedCounter counter, String key, Decision decision) {
        int tier = key.charAt(0);
        SharedOutcome outcome = new SharedOutcome().prepare(rule.tiers().specs(tier).length);
        return counter.decide(rule.cost(), decision.nowNanos, outcome).handle((done, error) -> {
            if (error != null) {
                return fallback(key, tier, decision, error);
            }
            return done.allowed() ? allowed(counter, tier, done, decision) : refused(key, tier, done, decision);
        });
    }

    private boolean allowed(SharedCounter counter, int tier, SharedOutcome outcome, Decision decision) {
        decision.consumed(counter, rule.cost());
        if (rule.mode() == Mode.Enforce) {
            LimitSpec[] specs = rule.tiers().specs(tier);
            for (int i = 0; i < specs.length; i++) {
                decision.report(specs[i], outcome.usage(i));
            }
        }
        return true;
    }

    private boolean refused(String key, int tier, SharedOutcome outcome, Decision decision) {
        LimitSpec spec = rule.tiers().specs(tier)[outcome.refusedLimit()];
        Usage usage = outcome.usage(outcome.refusedLimit());
        boolean shadow = rule.mode() == Mode.Shadow;
        rule.meters().refused(shadow, key, spec, decision.nowNanos);
        if (shadow) {
            return true;
        }
        decision.report(spec, usage);
        decision.reject(rule, spec, usage);
        return false;
    }

    /** The store could not decide: Open counts this sidecar's share locally; Closed refuses (but Shadow never does). */
    private boolean fallback(String key, int tier, Decision decision, Throwable error) {
        rule.meters().fellBack(error, decision.nowNanos);
        if (failureMode == FailureMode.Closed) {
            if (rule.mode() == Mode.Shadow) {
                return true;
            }
            decision.unavailable(rule);
            return false;
        }
        return rule.evaluateLocal(rule.stores().local().countersFor(key, decision.nowNanos), fallbackTiers.specs(tier), key, decision);
    }
}
