package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * The status of every Sluice resource, written by the operator only: the generation it last
 * reconciled, Kubernetes-style conditions ({@code Ready} above all), the pods the selector matches,
 * the ConfigMap the resource is rendered into, the fields accepted but not yet enforced, and warnings
 * about fields enforced as written.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ResourceStatus(
        @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,
        @JsonPropertyDescription("Ready (the resource is enforced as written) and Accepted (the spec is valid).")
        List<Condition> conditions,
        @JsonPropertyDescription("How many pods of the namespace the podSelector matches.")
        Integer selectedPods,
        @JsonPropertyDescription("The ConfigMap holding the sidecar configuration this resource is rendered into.")
        String configMap,
        @JsonPropertyDescription("Fields accepted but not enforced by the sidecar yet, each with what happens instead.")
        List<String> notYetEnforced,
        @JsonPropertyDescription("Fields enforced as written that may still not do what is meant, each with why; they do not change Ready.")
        List<String> warnings) implements SluiceStatus {

    public ResourceStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
        notYetEnforced = notYetEnforced == null ? List.of() : List.copyOf(notYetEnforced);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    @Override
    public ResourceStatus withConditions(List<Condition> conditions) {
        return new ResourceStatus(observedGeneration, conditions, selectedPods, configMap, notYetEnforced, warnings);
    }
}
