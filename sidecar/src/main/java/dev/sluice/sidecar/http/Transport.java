package dev.sluice.sidecar.http;

import io.undertow.client.ClientExchange;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.NetworkUtils;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Set;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * The transport of one attempt of {@link Forwarder}: what is copied from the client's request
 * to the upstream and from the upstream's response back, and how bodies move, buffered or streamed,
 * without blocking the I/O thread. Whether an attempt is made, retried or given up is not decided here.
 */
final class Transport {
    private static final Set<HttpString> HOP_BY_HOP = Set.of(Headers.CONNECTION, Headers.KEEP_ALIVE, new HttpString("Proxy-Connection"), Headers.EXPECT,
            Headers.UPGRADE, Headers.TE, Headers.TRAILER, new HttpString("Proxy-Authorization"),
            // The client's settings for an Upgrade: h2c, which the sidecar's own server took.
            new HttpString("HTTP2-Settings"));

    private static final String TRAILERS = "trailers";

    private Transport() {
    }

    /** A request to switch protocols (a WebSocket handshake): the one hop-by-hop exchange passed on, since only the app can answer it. */
    static boolean isUpgrade(HttpServerExchange exchange) {
        String upgrade = exchange.getRequestHeaders().getFirst(Headers.UPGRADE);
        // h2c is between the client and the sidecar's own server, never the app's.
        return upgrade != null && !upgrade.equalsIgnoreCase("h2c");
    }

    /**
     * The request's headers as the upstream gets them: hop-by-hop headers dropped but {@code TE: trailers}
     * (a gRPC server expects it, and it is the one TE HTTP/2 allows), the length of a buffered body, a
     * streamed body without a length marked chunked (Undertow's client, HTTP/1 or HTTP/2, sends no body
     * without one of the two: a gRPC request over HTTP/2 has neither), the Host the upstream expects, and for the app the {@code X-Forwarded-*} headers
     * Undertow's proxy handler sets: {@code -For} appended to, {@code -Proto}, {@code -Server},
     * {@code -Host} and {@code -Port} kept when the client sent them.
     *
     * @param body the buffered body, or null when the body streams
     */
    static void copyRequestHeaders(HttpServerExchange exchange, byte[] body, UpstreamClient client, HeaderMap out) {
        HeaderMap in = exchange.getRequestHeaders();
        for (HeaderValues values : in) {
            HttpString name = values.getHeaderName();
            if (!HOP_BY_HOP.contains(name)) {
                out.putAll(name, values);
            }
        }
        if (body != null) {
            out.remove(Headers.TRANSFER_ENCODING);
            if (body.length > 0 || in.contains(Headers.CONTENT_LENGTH)) {
                out.put(Headers.CONTENT_LENGTH, body.length);
            }
        } else if (!out.contains(Headers.CONTENT_LENGTH)) {
            out.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        }
        String te = in.getFirst(Headers.TE);
        if (te != null && te.trim().equalsIgnoreCase(TRAILERS)) {
            out.put(Headers.TE, TRAILERS);
        }
        if (isUpgrade(exchange)) {
            out.putAll(Headers.UPGRADE, in.get(Headers.UPGRADE));
            out.put(Headers.CONNECTION, Headers.UPGRADE_STRING);
        }
        if (client.hostHeader() != null) {
            out.put(Headers.HOST, client.hostHeader());
        } else if (!out.contains(Headers.HOST)) {
            out.put(Headers.HOST, client.authority());
        }
        if (client.forwardedHeaders()) {
            InetSocketAddress source = exchange.getSourceAddress();
            String peer = source == null ? "unknown" : source.getHostString();
            String forwardedFor = in.getFirst(Headers.X_FORWARDED_FOR);
            out.put(Headers.X_FORWARDED_FOR, forwardedFor == null || forwardedFor.isEmpty() ? peer : forwardedFor + "," + peer);
            if (!in.contains(Headers.X_FORWARDED_PROTO)) {
                out.put(Headers.X_FORWARDED_PROTO, exchange.getRequestScheme());
            }
            // Parsed from the Host header anew on each call, a new string when it carries a port: asked once.
            String hostName = exchange.getHostName();
            if (!in.contains(Headers.X_FORWARDED_SERVER) && hostName != null) {
                out.put(Headers.X_FORWARDED_SERVER, hostName);
            }
            if (!in.contains(Headers.X_FORWARDED_HOST) && hostName != null) {
                out.put(Headers.X_FORWARDED_HOST, NetworkUtils.formatPossibleIpv6Address(hostName));
            }
            if (!in.contains(Headers.X_FORWARDED_PORT)) {
                out.put(Headers.X_FORWARDED_PORT, exchange.getHostPort());
            }
        }
    }

    /** Writes a buffered request body to the upstream, then ends it. */
    static void writeBuffered(byte[] body, StreamSinkChannel upstream, ChannelExceptionHandler<java.nio.channels.Channel> broken) {
        new BufferWriter(ByteBuffer.wrap(body), broken).handleEvent(upstream);
    }

    /** Streams the client's request body to the upstream as it arrives, then its trailers if it had any, then ends it. */
    static void streamRequestBody(HttpServerExchange exchange, ClientExchange sent, ChannelExceptionHandler<java.nio.channels.Channel> broken) {
        StreamSourceChannel body = exchange.getRequestChannel();
        Pump.start(body, sent.getRequestChannel(), exchange.getConnection().getByteBufferPool(),
                channel -> {
                    IoUtils.safeClose(body);
                    // Undertow's server keeps a request's trailers under REQUEST_TRAILERS; its client sends RESPONSE_TRAILERS.
                    HeaderMap trailers = exchange.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                    if (trailers != null) {
                        sent.putAttachment(HttpAttachments.RESPONSE_TRAILERS, copy(trailers));
                    }
                    finishWrites(channel, broken);
                }, broken);
    }

    /** The upstream's status and headers onto the client's response; hop-by-hop headers and those the sidecar set (rate limits) stay as they are. */
    static void copyResponseHead(ClientExchange received, HttpServerExchange exchange) {
        exchange.setStatusCode(received.getResponse().getResponseCode());
        copyResponseHeaders(received.getResponse().getResponseHeaders(), exchange.getResponseHeaders());
    }

    /** The upstream's response headers {@code in} onto the client's {@code out}, but hop-by-hop ones and those already set. */
    static void copyResponseHeaders(HeaderMap in, HeaderMap out) {
        for (HeaderValues values : in) {
            HttpString name = values.getHeaderName();
            if (!HOP_BY_HOP.contains(name) && !out.contains(name)) {
                out.putAll(name, values);
            }
        }
    }

    /**
     * Streams the upstream's response body to the client. {@code done} runs once the upstream's response is read to its end
     * and handed to the client's channel, just before the client's response is ended: from then on the upstream connection
     * is free for another request.
     */
    static void streamResponseBody(ClientExchange received, HttpServerExchange exchange, Runnable done,
                                   ChannelExceptionHandler<java.nio.channels.Channel> broken) {
        // Not a listener on the upstream's side: Undertow's client detaches the response channel once it is read to its
        // end, so a listener set on it then is never called, and the connection would never be handed back.
        Pump.start(received.getResponseChannel(), exchange.getResponseChannel(), exchange.getConnection().getByteBufferPool(),
                sink -> {
                    // The trailers (gRPC's grpc-status and grpc-message) are read with the end of the body, before this runs.
                    // Undertow's client keeps a response's under REQUEST_TRAILERS; its server sends RESPONSE_TRAILERS.
                    HeaderMap trailers = received.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                    if (trailers != null) {
                        exchange.putAttachment(HttpAttachments.RESPONSE_TRAILERS, copy(trailers));
                    }
                    done.run();
                    finishWrites(sink, broken);
                }, broken);
    }

    private static HeaderMap copy(HeaderMap in) {
        HeaderMap out = new HeaderMap();
        for (HeaderValues values : in) {
            out.putAll(values.getHeaderName(), values);
        }
        return out;
    }

    /** Writes a buffered body, then ends the request; waits for the channel to be writable instead of spinning. */
    private static final class BufferWriter implements ChannelListener<StreamSinkChannel> {
        private final ByteBuffer buffer;
        private final ChannelExceptionHandler<java.nio.channels.Channel> broken;

        BufferWriter(ByteBuffer buffer, ChannelExceptionHandler<java.nio.channels.Channel> broken) {
            this.buffer = buffer;
            this.broken = broken;
        }

        @Override
        public void handleEvent(StreamSinkChannel channel) {
            try {
                while (buffer.hasRemaining()) {
                    if (channel.write(buffer) == 0) {
                        channel.getWriteSetter().set(this);
                        channel.resumeWrites();
                        return;
                    }
                }
                channel.suspendWrites();
                channel.getWriteSetter().set(null);
                finishWrites(channel, broken);
            } catch (IOException e) {
                broken.handleException(channel, e);
            }
        }
    }

    /** Ends a request or response body: shuts writes down and flushes, asynchronously if need be. */
    static void finishWrites(StreamSinkChannel channel, ChannelExceptionHandler<java.nio.channels.Channel> broken) {
        try {
            channel.shutdownWrites();
            if (!channel.flush()) {
                channel.getWriteSetter().set(ChannelListeners.flushingChannelListener(done -> {
                    done.suspendWrites();
                    done.getWriteSetter().set(null);
                }, broken));
                channel.resumeWrites();
            }
        } catch (IOException e) {
            broken.handleException(channel, e);
        }
    }
}
