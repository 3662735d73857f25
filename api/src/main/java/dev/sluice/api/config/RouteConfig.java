package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An outbound route: the app calls {@code http://127.0.0.1:<localPort>} and the sidecar forwards to
 * {@code upstream} (http or https; the Host header becomes the upstream's), enforcing the route's own
 * rate-limit {@code rules} on the way out, then its breaker, timeout and retries.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteConfig(String name, String upstream, Integer localPort, List<RuleConfig> rules) {
    public RouteConfig {
        rules = rules == null ? List.of() : List.copyOf(rules);
    }
}
