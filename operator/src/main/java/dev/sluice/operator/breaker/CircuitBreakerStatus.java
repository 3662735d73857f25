package dev.sluice.operator.breaker;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.status.Conditions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The status a CircuitBreaker should have, as a pure function. The sidecar does not run circuit
 * breakers yet, so a valid breaker is accepted but not Ready, and says so; nothing is rendered for it.
 */
public final class CircuitBreakerStatus {
    public static final String NOT_ENFORCED = "spec: circuit breaking, timeouts and retries are accepted but not yet enforced by the sidecar;"
            + " nothing is rendered for this resource";

    private CircuitBreakerStatus() {
    }

    public static ResourceStatus desired(CircuitBreaker breaker, List<FieldError> errors, int selectedPods) {
        Long generation = breaker.getMetadata().getGeneration();
        if (!errors.isEmpty()) {
            String problems = errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
            return new ResourceStatus(generation, List.of(
                    Conditions.of(Conditions.READY, false, Conditions.REASON_INVALID_SPEC, problems, generation),
                    Conditions.of(Conditions.ACCEPTED, false, Conditions.REASON_INVALID_SPEC, problems, generation)),
                    selectedPods, null, List.of());
        }
        return new ResourceStatus(generation, List.of(
                Conditions.of(Conditions.READY, false, Conditions.REASON_NOT_YET_ENFORCED, NOT_ENFORCED, generation),
                Conditions.of(Conditions.ACCEPTED, true, Conditions.REASON_VALID, "the spec is valid", generation)),
                selectedPods, null, List.of(NOT_ENFORCED));
    }
}
