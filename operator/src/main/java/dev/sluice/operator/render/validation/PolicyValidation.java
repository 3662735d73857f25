package dev.sluice.operator.render.validation;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.Syntax;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What the CRD schema cannot check about a RateLimitPolicy, as a pure function: regexes compile,
 * periods are sane, tiers name tiers that exist, selectors parse, and everything the sidecar's own
 * validator would refuse. Paths start at {@code spec} (or {@code metadata.name}).
 */
public final class PolicyValidation {
    private PolicyValidation() {
    }

    public static List<FieldError> validate(RateLimitPolicy policy) {
        List<FieldError> errors = new ArrayList<>();
        String name = policy.getMetadata().getName();
        // The sidecar names a policy by its resource name, which must fit its naming rule.
        if (!Syntax.isName(name)) {
            errors.add(new FieldError("metadata.name", "'" + name + "' must be at most 63 characters for a RateLimitPolicy"));
        }
        RateLimitPolicySpec spec = policy.getSpec();
        if (spec == null) {
            errors.add(new FieldError("spec", "is required"));
            return List.copyOf(errors);
        }
        errors.addAll(ConfigValidator.validateSelector(spec.podSelector(), "spec.podSelector"));
        if (spec.rules().isEmpty()) {
            errors.add(new FieldError("spec.rules", "must have at least one rule"));
        }
        errors.addAll(ConfigValidator.validateRules(spec.rules(), "spec.rules"));
        if (spec.failureMode() != null && spec.scope() != Scope.Global) {
            errors.add(new FieldError("spec.failureMode", "applies only to scope Global, not " + spec.scope()
                    + " (remove it, or set scope: Global; " + FailureMode.Open + " falls back to a local share, "
                    + FailureMode.Closed + " rejects)"));
        }
        if (spec.backpressure() != null) {
            errors.addAll(BackpressureValidation.validate(spec.backpressure(), "spec.backpressure"));
        }
        return List.copyOf(errors);
    }
}
