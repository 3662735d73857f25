package dev.sluice.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

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
