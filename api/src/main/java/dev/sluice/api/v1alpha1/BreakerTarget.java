package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The traffic a breaker guards: {@code Inbound} (requests to the pod's app) or {@code Outbound} (the app's calls through {@code route}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type == 'Outbound' ? has(self.route) : !has(self.route)",
        message = "route is required for an Outbound target and applies to no other", fieldPath = ".route")
public record BreakerTarget(
        @JsonPropertyDescription("Inbound or Outbound.")
        @Required
        TargetType type,
        @JsonPropertyDescription("For Outbound: the route the app calls through the sidecar.")
        OutboundRoute route) {

    public static BreakerTarget inbound() {
        return new BreakerTarget(TargetType.Inbound, null);
    }

    /** Which side of the pod a breaker guards. */
    public enum TargetType {
        Inbound, Outbound
    }
}
