package dev.sluice.sidecar.http;

import dev.sluice.sidecar.limit.Decision;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each request against the rate limits in force and either refuses it (429, or 503 when a
 * Global rule that fails closed cannot reach its store; a gRPC call gets RESOURCE_EXHAUSTED or
 * UNAVAILABLE instead, see {@link Grpc}) or passes it on with the rate-limit fields set. Runs on the I/O thread: Local counters never block, and neither do Global rules decided from
 * what this sidecar holds. A request that needs the shared store leaves the I/O thread without
 * blocking it ({@code dispatch} with nothing to run) and resumes on it when the store has answered.
 *
 * <p>What is in force is read once per request, here; the stages after this one get that snapshot.
 */
public final class RateLimitHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimitHandler.class);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Supplier<? extends Enforced> inForce;
    private final EnforcedHandler next;

    public RateLimitHandler(Supplier<? extends Enforced> inForce, EnforcedHandler next) {
        this.inForce = inForce;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        Scratch scratch = SCRATCH.get();
        Decision decision = scratch.decision;
        Enforced enforced = inForce.get();
        boolean allowed;
        try {
            allowed = enforced.limiter().evaluate(scratch.request.of(exchange), decision);
        } finally {
            scratch.request.clear();
        }
        if (allowed && decision.deferred()) {
            // The decision now belongs to this request until the store answers.
            scratch.decision = new Decision();
            exchange.dispatch(SameThreadExecutor.INSTANCE, () -> enforced.limiter().complete(decision).whenComplete((passes, error) ->
                    // Back on the exchange's I/O thread, as a root handler call: the rest of the chain runs as it would have.
                    exchange.dispatch(exchange.getIoThread(), resumed -> resume(resumed, enforced, decision, passes, error))));
            return;
        }
        finish(exchange, enforced, decision, allowed, scratch.text);
    }

    private void resume(HttpServerExchange exchange, Enforced enforced, Decision decision, Boolean passes, Throwable error)
            throws Exception {
        if (error != null) {
            LOG.error("rate-limit decision failed unexpectedly; answering 500", error);
            if (Grpc.isCall(exchange)) {
                Grpc.refuse(exchange, Grpc.INTERNAL, "the sidecar failed to decide the rate limits", StatusCodes.INTERNAL_SERVER_ERROR, -1);
                return;
            }
            exchange.setStatusCode(StatusCodes.INTERNAL_SERVER_ERROR);
            exchange.endExchange();
            return;
        }
        finish(exchange, enforced, decision, passes, SCRATCH.get().text);
    }

    private void finish(HttpServerExchange exchange, Enforced enforced, Decision decision, boolean allowed, StringBuilder text)
            throws Exception {
        if (decision.unavailableRule() != null) {
            if (Grpc.isCall(exchange)) {
                exchange.getResponseHeaders().put(RateLimitHeaders.RETRY_AFTER, 1);
                Grpc.refuse(exchange, Grpc.UNAVAILABLE, RateLimitHeaders.unavailableMessage(decision), StatusCodes.SERVICE_UNAVAILABLE,
                        RateLimitHeaders.STORE_RETRY_AFTER_MILLIS);
                return;
            }
            exchange.setStatusCode(StatusCodes.SERVICE_UNAVAILABLE);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseHeaders().put(RateLimitHeaders.RETRY_AFTER, 1);
            exchange.getResponseSender().send(RateLimitHeaders.unavailableBody(decision));
            return;
        }
        RateLimitHeaders.write(decision, exchange.getResponseHeaders(), text);
        if (allowed) {
            next.handleRequest(exchange, enforced);
            return;
        }
        if (Grpc.isCall(exchange)) {
            Grpc.refuse(exchange, Grpc.RESOURCE_EXHAUSTED, RateLimitHeaders.rejectionMessage(decision), StatusCodes.TOO_MANY_REQUESTS,
                    RateLimitHeaders.retryAfterMillis(decision));
            return;
        }
        exchange.setStatusCode(StatusCodes.TOO_MANY_REQUESTS);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(RateLimitHeaders.rejectionBody(decision));
    }

    private static final class Scratch {
        Decision decision = new Decision();
        final ExchangeRequest request = new ExchangeRequest();
        final StringBuilder text = new StringBuilder(128);
    }
}
