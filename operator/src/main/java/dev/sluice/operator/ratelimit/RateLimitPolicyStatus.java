package dev.sluice.operator.ratelimit;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.report.RuleRates;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.render.Verdict;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The status a RateLimitPolicy should have, as a pure function of its rendering's verdict and, while the operator reads
 * the sidecars' reports, of what its pods enforce.
 */
public final class RateLimitPolicyStatus {
    private RateLimitPolicyStatus() {
    }

    /**
     * With the sidecars' reports: Ready when every selected pod enforces the current generation ({@link Enforcement}),
     * with the pods' counts and the rules' rates of the last minute.
     */
    public static ResourceStatus desired(RateLimitPolicy policy, RenderedPolicies rendered, Enforcement enforcement, RuleRates rates) {
        ResourceStatus rendering = desired(policy, rendered, enforcement.selectedPods());
        if (!rendered.policy(policy.getMetadata().getName()).renderedAsWritten()) {
            return enforcement.applyTo(rendering, rates, false);
        }
        List<Condition> conditions = List.of(enforcement.ready(policy.getMetadata().getGeneration(), rendering.notYetEnforced()),
                Conditions.find(rendering.conditions(), Conditions.ACCEPTED).orElseThrow());
        return enforcement.applyTo(rendering.withConditions(conditions), rates, false);
    }

    /** Without the sidecars' reports: Ready once rendered into the ConfigMap. */
    public static ResourceStatus desired(RateLimitPolicy policy, RenderedPolicies rendered, int selectedPods) {
        Long generation = policy.getMetadata().getGeneration();
        Verdict verdict = rendered.policy(policy.getMetadata().getName());
        if (!verdict.renderedAsWritten()) {
            boolean kept = verdict.outcome() == Verdict.Outcome.KEPT_PREVIOUS;
            String problems = verdict.errors().stream().map(FieldError::toString).collect(Collectors.joining("; "));
            String consequence = kept
                    ? "the sidecars keep enforcing the last valid version"
                    : "nothing is enforced for this policy until it is fixed";
            List<Condition> conditions = List.of(
                    Conditions.of(Conditions.READY, false, Conditions.REASON_INVALID_SPEC, problems + " (" + consequence + ")", generation),
                    Conditions.of(Conditions.ACCEPTED, false, Conditions.REASON_INVALID_SPEC, problems, generation));
            String configMap = kept ? SidecarConfigMap.NAME : null;
            return new ResourceStatus(generation, conditions, selectedPods, configMap, List.of(), List.of());
        }
        List<String> notYetEnforced = NotYetEnforced.of(policy.getSpec(), rendered.document().redis() != null);
        Condition ready = notYetEnforced.isEmpty()
                ? Conditions.of(Conditions.READY, true, Conditions.REASON_RENDERED,
                        "rendered into ConfigMap " + SidecarConfigMap.NAME, generation)
                : Conditions.of(Conditions.READY, true, Conditions.REASON_PARTIALLY_ENFORCED,
                        "rendered into ConfigMap " + SidecarConfigMap.NAME + "; not enforced as written: " + String.join("; ", notYetEnforced),
                        generation);
        List<Condition> conditions = List.of(ready,
                Conditions.of(Conditions.ACCEPTED, true, Conditions.REASON_VALID, "the spec is valid", generation));
        // Warnings (a Local limit of an hour or more starts afresh when a pod restarts) are about limits enforced as
        // written, so they are listed without making Ready PartiallyEnforced.
        List<String> warnings = ConfigValidator.warnings(policy.getSpec().scope(), policy.getSpec().rules(), "spec.rules").stream()
                .map(FieldError::toString)
                .toList();
        return new ResourceStatus(generation, conditions, selectedPods, SidecarConfigMap.NAME, notYetEnforced, warnings);
    }
}
