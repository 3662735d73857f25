package dev.sluice.operator.breaker;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.Conditions;
import java.util.List;
import java.util.stream.Collectors;

/** The status a CircuitBreaker should have, as a pure function of its validation and rendering. */
public final class CircuitBreakerStatus {
    private CircuitBreakerStatus() {
    }

    public static ResourceStatus desired(CircuitBreaker breaker, List<FieldError> errors, RenderedPolicies rendered, int selectedPods) {
        Long generation = breaker.getMetadata().getGeneration();
        String name = breaker.getMetadata().getName();
        if (errors.isEmpty() && rendered.withheldBreakers().contains(name)) {
            errors = List.of(new FieldError("spec.target.route", "the route name or local port is still held by the last valid version"
                    + " of another, now invalid, CircuitBreaker of this namespace; fix or delete that one first"));
        }
        if (!errors.isEmpty()) {
            String problems = errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
            boolean kept = rendered.keptPreviousBreakers().contains(name);
            String consequence = kept
                    ? "the sidecars keep running the last valid version"
                    : "no breaker runs for this resource until it is fixed";
            return new ResourceStatus(generation, List.of(
                    Conditions.of(Conditions.READY, false, Conditions.REASON_INVALID_SPEC, problems + " (" + consequence + ")", generation),
                    Conditions.of(Conditions.ACCEPTED, false, Conditions.REASON_INVALID_SPEC, problems, generation)),
                    selectedPods, kept ? SidecarConfigMap.NAME : null, List.of());
        }
        return new ResourceStatus(generation, List.of(
                Conditions.of(Conditions.READY, true, Conditions.REASON_RENDERED, "rendered into ConfigMap " + SidecarConfigMap.NAME, generation),
                Conditions.of(Conditions.ACCEPTED, true, Conditions.REASON_VALID, "the spec is valid", generation)),
                selectedPods, SidecarConfigMap.NAME, List.of());
    }
}
