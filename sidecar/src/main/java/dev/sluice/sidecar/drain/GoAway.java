package dev.sluice.sidecar.drain;

import io.undertow.protocols.http2.Http2Channel;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * What a draining sidecar tells an HTTP/2 client instead of {@code Connection: close}, which HTTP/2 does not
 * have: a GOAWAY frame (NO_ERROR, the last stream it took), sent once the response is over. The client
 * finishes what it has in flight on that connection and opens its next streams on a new one, which the
 * Service sends to another pod. Without it a client that upgraded to h2c (the JDK's HttpClient does on
 * every {@code http://} request) or came with prior knowledge (gRPC) keeps its one connection to the pod
 * until the sidecar stops, and its requests after that meet a sidecar no longer taking any.
 */
final class GoAway {
    /**
     * The HTTP/2 connection a stream belongs to. Undertow keeps it in a private field of the stream's
     * {@link Http2ServerConnection} and offers no other way to it; the version is pinned, and DrainIT fails
     * if that field goes.
     */
    private static final MethodHandle CHANNEL;

    static {
        try {
            CHANNEL = MethodHandles.privateLookupIn(Http2ServerConnection.class, MethodHandles.lookup())
                    .findGetter(Http2ServerConnection.class, "channel", Http2Channel.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Undertow's Http2ServerConnection has no field 'channel' for a draining sidecar's GOAWAY", e);
        }
    }

    private GoAway() {
    }

    /** Whether {@code exchange} is a stream of an HTTP/2 connection. */
    static boolean applies(HttpServerExchange exchange) {
        return exchange.getConnection() instanceof Http2ServerConnection;
    }

    /** Sends GOAWAY on {@code exchange}'s HTTP/2 connection once the exchange is over; once per connection. */
    static void afterResponse(HttpServerExchange exchange) {
        Http2ServerConnection stream = (Http2ServerConnection) exchange.getConnection();
        exchange.addExchangeCompleteListener((done, next) -> {
            try {
                next.proceed();
            } finally {
                channel(stream).sendGoAway(Http2Channel.ERROR_NO_ERROR);
            }
        });
    }

    private static Http2Channel channel(Http2ServerConnection stream) {
        try {
            return (Http2Channel) CHANNEL.invokeExact(stream);
        } catch (Throwable e) {
            throw new IllegalStateException("reading the HTTP/2 connection of a stream", e);
        }
    }
}
