package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** An outbound route: the app calls {@code http://127.0.0.1:<localPort>} and the sidecar forwards to {@code upstream}. */
public record OutboundRoute(
        @JsonPropertyDescription("The route's name, used in metrics and status.")
        @Required @Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
        String name,
        @JsonPropertyDescription("The URL calls are forwarded to, e.g. https://api.example.com.")
        @Required @Pattern("^https?://[^/?#\\s]+(/[^?#\\s]*)?$")
        String upstream,
        @JsonPropertyDescription("The loopback port the sidecar listens on for this route.")
        @Required @Min(1) @Max(65535)
        Integer localPort) {
}
