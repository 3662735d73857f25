package dev.sluice.operator.ratelimit;

import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a valid RateLimitPolicy that its sidecars accept but cannot enforce as written, each
 * with what happens instead: what this operator's setup cannot provide.
 */
public final class NotYetEnforced {
    private NotYetEnforced() {
    }

    /** @param redisConfigured whether the operator renders a Redis for Global policies ({@code --redis-config}) */
    public static List<String> of(RateLimitPolicySpec spec, boolean redisConfigured) {
        List<String> fields = new ArrayList<>();
        if (spec.scope() == Scope.Global && !redisConfigured) {
            fields.add("spec.scope: Global needs a Redis, and the operator has none (--redis-config): every request gets the"
                    + " failure mode (Open: each pod allows its share of the limit; Closed: 503)");
        }
        return List.copyOf(fields);
    }
}
