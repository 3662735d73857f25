package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * The status of every Sluice resource, written by the operator only: the generation it last
 * reconciled, Kubernetes-style conditions ({@code Ready} above all), the pods the selector matches,
 * the ConfigMap the resource is rendered into, the fields accepted but not yet enforced, and warnings
 * about fields enforced as written. While the operator reads the sidecars' reports (its {@code --report-interval}),
 * it also says which pods enforce the resource: how many have the sidecar, enforce the current generation or lag
 * behind, which run a sidecar of an older document version, the request rates of a RateLimitPolicy's rules and the
 * pods where a CircuitBreaker's circuit is open. Those fields are absent while reports are off.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ResourceStatus(
        @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,
        @JsonPropertyDescription("Ready (every selected pod enforces the current generation) and Accepted (the spec is valid).")
        List<Condition> conditions,
        @JsonPropertyDescription("How many live pods of the namespace the podSelector matches.")
        Integer selectedPods,
        @JsonPropertyDescription("The ConfigMap holding the sidecar configuration this resource is rendered into.")
        String configMap,
        @JsonPropertyDescription("Fields accepted but not enforced by the sidecar yet, each with what happens instead.")
        List<String> notYetEnforced,
        @JsonPropertyDescription("Fields enforced as written that may still not do what is meant, each with why; they do not change Ready.")
        List<String> warnings,
        @JsonPropertyDescription("How many of the selected pods have the Sluice sidecar.")
        Integer podsWithSidecar,
        @JsonPropertyDescription("How many of the selected pods report enforcing the current metadata.generation.")
        Integer enforcingPods,
        @JsonPropertyDescription("enforcingPods/selectedPods, as kubectl get shows it.")
        String enforcing,
        @JsonPropertyDescription("Pods with a ready sidecar that enforce an older generation, do not list this resource, refused the"
                + " configuration or stopped reporting.")
        Integer stalePods,
        @JsonPropertyDescription("The names of up to 5 stale pods, sorted.")
        List<String> stalePodNames,
        @JsonPropertyDescription("The generation every reporting selected pod enforces (the lowest reported).")
        Long enforcedGeneration,
        @JsonPropertyDescription("Up to 5 pods whose sidecar reads an older document version than the one rendered: they enforce it"
                + " without the newer fields.")
        List<String> oldSidecars,
        @JsonPropertyDescription("RateLimitPolicy: each rule's requests per minute over the last minute, summed over the selected pods.")
        List<RuleRate> rules,
        @JsonPropertyDescription("RateLimitPolicy: the share of requests rejected over the last minute, all rules; absent without traffic.")
        String rejectRate,
        @JsonPropertyDescription("CircuitBreaker: the pods whose circuit is open now (up to 10, sorted).")
        List<String> openCircuitPods,
        @JsonPropertyDescription("CircuitBreaker: how many pods have the circuit open now.")
        Integer openCircuits) implements SluiceStatus {

    public ResourceStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
        notYetEnforced = notYetEnforced == null ? List.of() : List.copyOf(notYetEnforced);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        stalePodNames = stalePodNames == null ? List.of() : List.copyOf(stalePodNames);
        oldSidecars = oldSidecars == null ? List.of() : List.copyOf(oldSidecars);
        rules = rules == null ? List.of() : List.copyOf(rules);
        openCircuitPods = openCircuitPods == null ? List.of() : List.copyOf(openCircuitPods);
    }

    /** A status without live enforcement: the operator does not read the sidecars' reports. */
    public ResourceStatus(Long observedGeneration, List<Condition> conditions, Integer selectedPods, String configMap, List<String> notYetEnforced,
                          List<String> warnings) {
        this(observedGeneration, conditions, selectedPods, configMap, notYetEnforced, warnings, null, null, null, null, null, null, null, null,
                null, null, null);
    }

    @Override
    public ResourceStatus withConditions(List<Condition> conditions) {
        return new ResourceStatus(observedGeneration, conditions, selectedPods, configMap, notYetEnforced, warnings, podsWithSidecar,
                enforcingPods, enforcing, stalePods, stalePodNames, enforcedGeneration, oldSidecars, rules, rejectRate, openCircuitPods,
                openCircuits);
    }
}
