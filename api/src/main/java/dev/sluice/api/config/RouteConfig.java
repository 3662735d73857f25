package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * An outbound route: the app calls {@code http://127.0.0.1:<localPort>} and the sidecar forwards to
 * {@code upstream} (http or https; the Host header becomes the upstream's), enforcing the route's own
 * rate-limit {@code rules} on the way out, then its breaker, timeout and retries.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteConfig(
        @JsonPropertyDescription("The route's name, used in metrics and status.")
        @Required @Pattern(Syntax.ROUTE_NAME_PATTERN)
        String name,
        @JsonPropertyDescription("The URL calls are forwarded to, e.g. https://api.example.com.")
        @Required @Pattern(Syntax.UPSTREAM_PATTERN)
        String upstream,
        @JsonPropertyDescription("The loopback port the sidecar listens on for this route.")
        @Required @Min(Syntax.MIN_PORT) @Max(Syntax.MAX_PORT)
        Integer localPort,
        // The sidecar document's only: a CircuitBreaker's route has no rules of its own (@JsonIgnoreProperties on BreakerTarget.route).
        List<RuleConfig> rules) {
    public RouteConfig {
        rules = rules == null ? List.of() : List.copyOf(rules);
    }
}
