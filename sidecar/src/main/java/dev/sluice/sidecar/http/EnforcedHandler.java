package dev.sluice.sidecar.http;

import io.undertow.server.HttpServerExchange;

/** A stage after the rate limits: handles a request with the {@link Enforced} snapshot it arrived under. */
public interface EnforcedHandler {
    void handleRequest(HttpServerExchange exchange, Enforced enforced) throws Exception;
}
