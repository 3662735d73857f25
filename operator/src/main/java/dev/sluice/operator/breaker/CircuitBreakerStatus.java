package dev.sluice.operator.breaker;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.render.Verdict;
import dev.sluice.operator.status.Conditions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The status a CircuitBreaker should have, as a pure function of its rendering's verdict and, while the operator reads
 * the sidecars' reports, of what its pods enforce and where its circuit is open.
 */
public final class CircuitBreakerStatus {
    private CircuitBreakerStatus() {
    }

    /** With the sidecars' reports: Ready when every selected pod enforces the current generation, and the pods whose circuit is open. */
    public static ResourceStatus desired(CircuitBreaker breaker, RenderedPolicies rendered, Enforcement enforcement) {
        ResourceStatus rendering = desired(breaker, rendered, enforcement.selectedPods());
        if (!rendered.breaker(breaker.getMetadata().getName()).renderedAsWritten()) {
            return enforcement.applyTo(rendering, null, true);
        }
        return enforcement.applyTo(rendering.withConditions(List.of(enforcement.ready(breaker.getMetadata().getGeneration(), List.of()),
                Conditions.find(rendering.conditions(), Conditions.ACCEPTED).orElseThrow())), null, true);
    }

    /** Without the sidecars' reports: Ready once rendered into the ConfigMap. */
    public static ResourceStatus desired(CircuitBreaker breaker, RenderedPolicies rendered, int selectedPods) {
        Long generation = breaker.getMetadata().getGeneration();
        Verdict verdict = rendered.breaker(breaker.getMetadata().getName());
        if (!verdict.renderedAsWritten()) {
            String problems = verdict.errors().stream().map(FieldError::toString).collect(Collectors.joining("; "));
            boolean kept = verdict.outcome() == Verdict.Outcome.KEPT_PREVIOUS;
            String consequence = kept
                    ? "the sidecars keep running the last valid version"
                    : "no breaker runs for this resource until it is fixed";
            return new ResourceStatus(generation, List.of(
                    Conditions.of(Conditions.READY, false, Conditions.REASON_INVALID_SPEC, problems + " (" + consequence + ")", generation),
                    Conditions.of(Conditions.ACCEPTED, false, Conditions.REASON_INVALID_SPEC, problems, generation)),
                    selectedPods, kept ? SidecarConfigMap.NAME : null, List.of(), List.of());
        }
        return new ResourceStatus(generation, List.of(
                Conditions.of(Conditions.READY, true, Conditions.REASON_RENDERED, "rendered into ConfigMap " + SidecarConfigMap.NAME, generation),
                Conditions.of(Conditions.ACCEPTED, true, Conditions.REASON_VALID, "the spec is valid", generation)),
                selectedPods, SidecarConfigMap.NAME, List.of(), List.of());
    }
}
