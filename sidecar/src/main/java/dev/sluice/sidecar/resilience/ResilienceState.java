package dev.sluice.sidecar.resilience;

import dev.sluice.api.config.ConfigLoader;
import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;

/** The admin port's {@code /state}: circuit breakers (state, failure rate, time left open), outbound routes, and gates (in flight, waiting, limit). */
public final class ResilienceState {
    private ResilienceState() {
    }

    public static HttpHandler handler(Resilience resilience) {
        return exchange -> {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseSender().send(ConfigLoader.json().writerWithDefaultPrettyPrinter().writeValueAsString(resilience.view()) + "\n");
        };
    }
}
