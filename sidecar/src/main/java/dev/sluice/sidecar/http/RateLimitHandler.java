package dev.sluice.sidecar.http;

import dev.sluice.sidecar.limit.Decision;
import dev.sluice.sidecar.limit.RateLimiter;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.util.function.Supplier;

/**
 * Decides each request against the rate limits in force and either refuses it with 429 or passes it
 * on with the rate-limit fields set. Runs on the I/O thread: local counters never block.
 */
public final class RateLimitHandler implements HttpHandler {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Supplier<RateLimiter> limiter;
    private final HttpHandler next;

    public RateLimitHandler(Supplier<RateLimiter> limiter, HttpHandler next) {
        this.limiter = limiter;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        Scratch scratch = SCRATCH.get();
        Decision decision = scratch.decision;
        boolean allowed;
        try {
            allowed = limiter.get().decide(scratch.request.of(exchange), decision);
        } finally {
            scratch.request.clear();
        }
        RateLimitHeaders.write(decision, exchange.getResponseHeaders(), scratch.text);
        if (allowed) {
            next.handleRequest(exchange);
            return;
        }
        exchange.setStatusCode(StatusCodes.TOO_MANY_REQUESTS);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(RateLimitHeaders.rejectionBody(decision));
    }

    private static final class Scratch {
        final Decision decision = new Decision();
        final ExchangeRequest request = new ExchangeRequest();
        final StringBuilder text = new StringBuilder(128);
    }
}
