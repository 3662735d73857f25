package dev.sluice.sidecar.drain;

import io.undertow.server.ConduitWrapper;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.StatusCodes;
import org.xnio.conduits.StreamSinkConduit;

/**
 * The traffic port's outermost handler: while the sidecar {@link Drain drains}, a response closes its
 * connection ({@code Connection: close}, then the server closes it once the response is sent); over HTTP/2,
 * whose connections carry no such header, the response is followed by a {@link GoAway GOAWAY}. It is
 * decided when the response starts, not when the request arrives, so that a response to a request that was
 * already in flight when draining started closes its connection too. A protocol upgrade (101) keeps its
 * connection: it no longer carries requests to the app's Service.
 */
public final class DrainHandler implements HttpHandler {
    private final Drain drain;
    private final HttpHandler next;
    /** One wrapper for every exchange: it only reads the state at commit time. */
    private final ConduitWrapper<StreamSinkConduit> closeIfDraining;

    public DrainHandler(Drain drain, HttpHandler next) {
        this.drain = drain;
        this.next = next;
        this.closeIfDraining = (factory, exchange) -> {
            if (this.drain.draining() && exchange.getStatusCode() != StatusCodes.SWITCHING_PROTOCOLS) {
                exchange.setPersistent(false);
                if (GoAway.applies(exchange)) {
                    GoAway.afterResponse(exchange);
                }
            }
            return factory.create();
        };
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        exchange.addResponseWrapper(closeIfDraining);
        next.handleRequest(exchange);
    }
}
