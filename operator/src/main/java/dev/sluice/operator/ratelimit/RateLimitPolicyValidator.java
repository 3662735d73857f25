package dev.sluice.operator.ratelimit;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the CRD schema cannot check about a RateLimitPolicy, as a pure function: regexes compile,
 * periods are sane, tiers name tiers that exist, selectors parse, and everything the sidecar's own
 * validator would refuse. Paths start at {@code spec} (or {@code metadata.name}).
 */
public final class RateLimitPolicyValidator {
    /** The sidecar names a policy by its resource name, which must fit its naming rule. */
    private static final Pattern POLICY_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?");

    private RateLimitPolicyValidator() {
    }

    public static List<FieldError> validate(RateLimitPolicy policy) {
        List<FieldError> errors = new ArrayList<>();
        String name = policy.getMetadata().getName();
        if (name == null || !POLICY_NAME.matcher(name).matches()) {
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
            errors.addAll(BackpressureValidator.validate(spec.backpressure(), "spec.backpressure"));
        }
        return List.copyOf(errors);
    }
}
