package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.FailureMode;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.Scope;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * What a RateLimitPolicy asks for. The rules are the sidecar configuration's own {@link RuleConfig}
 * records, so the resource and the rendered document cannot drift apart.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.failureMode) || self.scope == 'Global'",
        message = "failureMode applies only to scope Global", fieldPath = ".failureMode")
public record RateLimitPolicySpec(
        @JsonPropertyDescription("The pods whose sidecars enforce this policy; empty selects every pod of the namespace.")
        LabelSelector podSelector,
        @JsonPropertyDescription("Enforce rejects requests over a limit; Shadow only counts and reports them.")
        @Default("Enforce")
        Mode mode,
        @JsonPropertyDescription("Local: each pod enforces the limits alone; Global: one limit shared by all replicas through Redis.")
        @Default("Local")
        Scope scope,
        @JsonPropertyDescription("Global scope only, while Redis is unreachable: Open falls back to a local share, Closed rejects.")
        FailureMode failureMode,
        @JsonPropertyDescription("The rules; a request passes only if every rule that matches it allows it.")
        @Required @Size(min = 1, max = 64)
        List<RuleConfig> rules,
        @JsonPropertyDescription("Concurrency limit with a wait queue, priority load shedding and adaptive concurrency, for every request the selected pods serve.")
        BackpressureConfig backpressure) {

    public RateLimitPolicySpec {
        podSelector = podSelector == null ? LabelSelector.everything() : podSelector;
        mode = mode == null ? Mode.Enforce : mode;
        scope = scope == null ? Scope.Local : scope;
        rules = rules == null ? List.of() : List.copyOf(rules);
    }
}
