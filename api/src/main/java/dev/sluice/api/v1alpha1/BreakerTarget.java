package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.RouteConfig;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The traffic a breaker guards: {@code Inbound} (requests to the pod's app) or {@code Outbound} (the
 * app's calls through {@code route}). The resource nests the route under its target, where the sidecar
 * document has both side by side; the parts are the document's own types.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type == 'Outbound' ? has(self.route) : !has(self.route)",
        message = "route is required for an Outbound target and applies to no other", fieldPath = ".route")
public record BreakerTarget(
        @JsonPropertyDescription("Inbound or Outbound.")
        @Required
        BreakerTargetType type,
        @JsonPropertyDescription("For Outbound: the route the app calls through the sidecar.")
        @JsonIgnoreProperties("rules")
        RouteConfig route) {

    public static BreakerTarget inbound() {
        return new BreakerTarget(BreakerTargetType.Inbound, null);
    }

    public static BreakerTarget outbound(RouteConfig route) {
        return new BreakerTarget(BreakerTargetType.Outbound, route);
    }
}
