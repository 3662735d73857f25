package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A rate-limit policy as the sidecar enforces it: the pods it applies to, whether it enforces or only
 * reports, where its counters live, and its rules. A request passes only if every matching rule of
 * every enforcing policy allows it. {@code replicas} is the number of sidecars that share a
 * {@link Scope#Global} policy's limits (the operator renders the number of pods it selects): while
 * Redis is unreachable and {@code failureMode} is {@link FailureMode#Open}, each sidecar enforces
 * its share, the limits divided by it. {@code backpressure} caps the requests in flight to the pod's app
 * (with a wait queue, priority shedding and an adaptive limit) for every request the selected pods serve.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyConfig(
        String name,
        String namespace,
        LabelSelector podSelector,
        Mode mode,
        Scope scope,
        FailureMode failureMode,
        List<RuleConfig> rules,
        Integer replicas,
        BackpressureConfig backpressure) {

    public PolicyConfig {
        podSelector = podSelector == null ? LabelSelector.everything() : podSelector;
        mode = mode == null ? Mode.Enforce : mode;
        scope = scope == null ? Scope.Local : scope;
        failureMode = failureMode == null ? FailureMode.Open : failureMode;
        rules = rules == null ? List.of() : List.copyOf(rules);
    }

    /** A policy without a replica count (Local, or a document written before it existed: one replica). */
    public PolicyConfig(String name, String namespace, LabelSelector podSelector, Mode mode, Scope scope, FailureMode failureMode,
                        List<RuleConfig> rules) {
        this(name, namespace, podSelector, mode, scope, failureMode, rules, null, null);
    }

    /** A policy without backpressure. */
    public PolicyConfig(String name, String namespace, LabelSelector podSelector, Mode mode, Scope scope, FailureMode failureMode,
                        List<RuleConfig> rules, Integer replicas) {
        this(name, namespace, podSelector, mode, scope, failureMode, rules, replicas, null);
    }

    /** The number of sidecars sharing a Global limit; 1 when not given. */
    public int effectiveReplicas() {
        return replicas == null ? 1 : replicas;
    }

    /** {@code namespace/name}, or the name alone outside a cluster. */
    public String qualifiedName() {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
