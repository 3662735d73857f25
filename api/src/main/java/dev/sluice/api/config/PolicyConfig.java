package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A rate-limit policy as the sidecar enforces it: the pods it applies to, whether it enforces or only
 * reports, where its counters live, and its rules. A request passes only if every matching rule of
 * every enforcing policy allows it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyConfig(
        String name,
        String namespace,
        LabelSelector podSelector,
        Mode mode,
        Scope scope,
        FailureMode failureMode,
        List<RuleConfig> rules) {

    public PolicyConfig {
        podSelector = podSelector == null ? LabelSelector.everything() : podSelector;
        mode = mode == null ? Mode.Enforce : mode;
        scope = scope == null ? Scope.Local : scope;
        failureMode = failureMode == null ? FailureMode.Open : failureMode;
        rules = rules == null ? List.of() : List.copyOf(rules);
    }

    /** {@code namespace/name}, or the name alone outside a cluster. */
    public String qualifiedName() {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
