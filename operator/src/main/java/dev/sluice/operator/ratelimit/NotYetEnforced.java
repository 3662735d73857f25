package dev.sluice.operator.ratelimit;

import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import java.util.ArrayList;
import java.util.List;

/** The fields of a valid RateLimitPolicy that the sidecar accepts but does not enforce yet, each with what happens instead. */
public final class NotYetEnforced {
    private NotYetEnforced() {
    }

    public static List<String> of(RateLimitPolicySpec spec) {
        List<String> fields = new ArrayList<>();
        if (spec.scope() == Scope.Global) {
            fields.add("spec.scope: Global is enforced per pod for now (each sidecar applies the full limits alone, without Redis)");
        }
        if (spec.failureMode() != null) {
            fields.add("spec.failureMode: has no effect until Global scope is shared through Redis");
        }
        if (spec.backpressure() != null) {
            fields.add("spec.backpressure: accepted, not yet enforced by the sidecar (no concurrency limit, shedding or adaptive limit applies)");
        }
        return List.copyOf(fields);
    }
}
