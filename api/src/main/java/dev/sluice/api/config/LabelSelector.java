package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes label selector. Every {@code matchLabels} entry and every {@code matchExpressions}
 * requirement must hold; an empty selector selects every pod.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record LabelSelector(
        @JsonPropertyDescription("Labels the pod must carry with these values.") Map<String, String> matchLabels,
        @JsonPropertyDescription("Requirements on the pod's labels; all must hold.") List<LabelSelectorRequirement> matchExpressions) {
    public LabelSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
        matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    }

    public static LabelSelector everything() {
        return new LabelSelector(Map.of(), List.of());
    }

    /** Whether a pod with these labels is selected. Assumes a validated selector. */
    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> required : matchLabels.entrySet()) {
            if (!required.getValue().equals(labels.get(required.getKey()))) {
                return false;
            }
        }
        for (LabelSelectorRequirement requirement : matchExpressions) {
            String value = labels.get(requirement.key());
            boolean holds = switch (requirement.operator()) {
                case In -> value != null && requirement.values().contains(value);
                case NotIn -> value == null || !requirement.values().contains(value);
                case Exists -> value != null;
                case DoesNotExist -> value == null;
            };
            if (!holds) {
                return false;
            }
        }
        return true;
    }
}
