package dev.sluice.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Kubernetes-style conditions: the types and reasons Sluice uses, and how a new set inherits transition times. */
public final class Conditions {
    /** The resource is enforced as written. */
    public static final String READY = "Ready";
    /** The spec is valid. */
    public static final String ACCEPTED = "Accepted";

    public static final String REASON_VALID = "Valid";
    public static final String REASON_INVALID_SPEC = "InvalidSpec";
    public static final String REASON_RENDERED = "Rendered";
    public static final String REASON_PARTIALLY_ENFORCED = "PartiallyEnforced";
    public static final String REASON_NOT_YET_ENFORCED = "NotYetEnforced";
    /** Live status (the sidecars' reports): every selected pod enforces the current generation. */
    public static final String REASON_ENFORCED = "Enforced";
    public static final String REASON_NO_PODS_SELECTED = "NoPodsSelected";
    public static final String REASON_PROPAGATING = "Propagating";
    public static final String REASON_PODS_WITHOUT_SIDECAR = "PodsWithoutSidecar";
    public static final String REASON_SIDECAR_REJECTED_CONFIG = "SidecarRejectedConfig";
    /**
     * Reasons whose message counts pods, so that it follows every rollout: a change of their message alone is written but
     * not announced as an Event (a change of status or reason is).
     */
    public static final Set<String> COUNTING_REASONS = Set.of(REASON_ENFORCED, REASON_NO_PODS_SELECTED, REASON_PROPAGATING,
            REASON_PODS_WITHOUT_SIDECAR, REASON_PARTIALLY_ENFORCED);

    private Conditions() {
    }

    /** A condition without its transition time, which {@link #inheritTransitionTimes} fills in. */
    public static Condition of(String type, boolean status, String reason, String message, Long observedGeneration) {
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status ? "True" : "False")
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(observedGeneration)
                .build();
    }

    /** {@code desired} with each condition's last transition time kept from {@code current} when its status did not change, else {@code now}. */
    public static List<Condition> inheritTransitionTimes(List<Condition> desired, List<Condition> current, Instant now) {
        return desired.stream().map(condition -> {
            String since = find(current, condition.getType())
                    .filter(previous -> previous.getStatus().equals(condition.getStatus()) && previous.getLastTransitionTime() != null)
                    .map(Condition::getLastTransitionTime)
                    .orElse(now.toString());
            return new ConditionBuilder(condition).withLastTransitionTime(since).build();
        }).toList();
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }
}
