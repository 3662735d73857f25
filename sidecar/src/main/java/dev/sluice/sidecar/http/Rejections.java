package dev.sluice.sidecar.http;

import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.GateMetrics;
import dev.sluice.sidecar.backpressure.Priorities;
import dev.sluice.sidecar.breaker.Breaker;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;

/**
 * The sidecar's own 503s: an open circuit and backpressure, each with a JSON body that says why and {@code Retry-After};
 * a gRPC call gets UNAVAILABLE with the same words and delay instead ({@link Grpc}).
 */
final class Rejections {
    /** Shedding and queue refusals clear as soon as requests finish: clients should come back soon, not in lockstep later. */
    static final long OVERLOAD_RETRY_AFTER_SECONDS = 1;

    private Rejections() {
    }

    static void circuitOpen(HttpServerExchange exchange, Breaker breaker) {
        long retryAfter = breaker.retryAfterSeconds();
        StringBuilder body = new StringBuilder(256).append("{\"error\":\"circuit_open\",\"status\":503,\"breaker\":");
        Json.string(body, breaker.name()).append(",\"target\":");
        Json.string(body, breaker.target()).append(",\"state\":");
        Json.string(body, breaker.stateLabel()).append(",\"retryAfterSeconds\":").append(retryAfter).append(",\"message\":");
        String message = "circuit breaker " + breaker.name() + " (" + breaker.target() + ") is " + breaker.stateLabel()
                + ": the upstream failed too often, calls are refused without trying it; retry in " + retryAfter + "s";
        Json.string(body, message);
        send(exchange, retryAfter, body.append("}\n").toString(), message);
    }

    static void overloaded(HttpServerExchange exchange, ConcurrencyGate gate, Priorities.Priority priority, GateMetrics.Reason reason) {
        StringBuilder body = new StringBuilder(256).append("{\"error\":\"overloaded\",\"status\":503,\"policy\":");
        Json.string(body, gate.policy()).append(",\"reason\":");
        Json.string(body, reason.label()).append(",\"priority\":");
        Json.string(body, priority.name()).append(",\"inFlight\":").append(gate.inFlight())
                .append(",\"queued\":").append(gate.queued())
                .append(",\"limit\":").append(gate.limit())
                .append(",\"retryAfterSeconds\":").append(OVERLOAD_RETRY_AFTER_SECONDS).append(",\"message\":");
        String why = switch (reason) {
            case SHED -> "priority " + priority.name() + " is shed from " + priority.shedAtPercent() + "% utilisation of the concurrency limit";
            case QUEUE_FULL -> "the concurrency limit is reached and its wait queue is full";
            case QUEUE_TIMEOUT -> "no slot under the concurrency limit freed up within the longest wait";
            case PARKED_FULL -> "the concurrency limit is reached and the sidecar already holds as many waiting requests as it may (--max-parked)";
        };
        String message = "overloaded: " + why + " (policy " + gate.policy() + "); retry in " + OVERLOAD_RETRY_AFTER_SECONDS + "s";
        Json.string(body, message);
        send(exchange, OVERLOAD_RETRY_AFTER_SECONDS, body.append("}\n").toString(), message);
    }

    /** The upstream could not be reached (502) or did not answer in time (504), the gRPC way for a gRPC call. */
    static void upstreamFailed(HttpServerExchange exchange, boolean timedOut) {
        int status = timedOut ? StatusCodes.GATEWAY_TIME_OUT : StatusCodes.BAD_GATEWAY;
        if (Grpc.isCall(exchange)) {
            Grpc.refuse(exchange, timedOut ? Grpc.DEADLINE_EXCEEDED : Grpc.UNAVAILABLE,
                    timedOut ? "the upstream did not answer within the sidecar's timeout" : "the sidecar could not reach the upstream",
                    status, -1);
            return;
        }
        exchange.setStatusCode(status);
        exchange.endExchange();
    }

    private static void send(HttpServerExchange exchange, long retryAfterSeconds, String body, String message) {
        exchange.getResponseHeaders().put(Headers.RETRY_AFTER, retryAfterSeconds);
        if (Grpc.isCall(exchange)) {
            Grpc.refuse(exchange, Grpc.UNAVAILABLE, message, StatusCodes.SERVICE_UNAVAILABLE, retryAfterSeconds * 1000);
            return;
        }
        exchange.setStatusCode(StatusCodes.SERVICE_UNAVAILABLE);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(body);
    }
}
