package dev.sluice.sidecar.http;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.UndertowClient;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.ssl.XnioSsl;

/**
 * Connections to one upstream (the app, or an outbound route's API), through
 * Undertow's asynchronous client: one pool of keep-alive connections per I/O thread, touched only by
 * that thread (a request, its connection and every callback stay on the exchange's I/O thread), so
 * the pool needs no lock. https upstreams use the JVM's default trust store.
 *
 * <p>An {@code h2c://} upstream speaks HTTP/2 in cleartext with prior knowledge (a gRPC server does):
 * each I/O thread then shares one connection between all its requests, each a stream of it, and a
 * failed or abandoned request resets its stream, never the connection the others use.
 */
public final class UpstreamClient implements AutoCloseable {
    /** The upstream URL schemes the sidecar forwards to. */
    public static final Set<String> SCHEMES = Set.of("http", "https", "h2c");
    /** Undertow's name for HTTP/2 over cleartext with prior knowledge (no {@code Upgrade: h2c} round trip first). */
    private static final String H2C_PRIOR_KNOWLEDGE = "h2c-prior";

    /** Where to connect, in the scheme Undertow's client picks its protocol by. */
    private final URI upstream;
    private final boolean multiplexed;
    private final String basePath;
    private final String hostHeader;
    private final boolean forwardedHeaders;
    private final int maxIdlePerThread;
    private final XnioSsl ssl;
    // Without TCP_NODELAY a request's headers and body, written apart, wait on the app's delayed ACK.
    private final OptionMap options = OptionMap.create(Options.TCP_NODELAY, true);
    private final Map<XnioIoThread, ArrayDeque<ClientConnection>> idle = new ConcurrentHashMap<>();
    /** The one HTTP/2 connection of each I/O thread, for an h2c upstream. */
    private final Map<XnioIoThread, ClientConnection> shared = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private UpstreamClient(URI upstream, boolean outbound, int maxIdlePerThread) {
        this.multiplexed = "h2c".equals(upstream.getScheme());
        this.upstream = URI.create((multiplexed ? H2C_PRIOR_KNOWLEDGE : upstream.getScheme()) + "://" + upstream.getRawAuthority());
        String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.hostHeader = outbound ? upstream.getRawAuthority() : null;
        this.forwardedHeaders = !outbound;
        this.maxIdlePerThread = maxIdlePerThread;
        this.ssl = "https".equals(upstream.getScheme()) ? defaultSsl() : null;
    }

    /** The pod's app: the client's Host header is kept and {@code X-Forwarded-*} are added. */
    public static UpstreamClient inbound(URI app, int maxIdlePerThread) {
        return new UpstreamClient(app, false, maxIdlePerThread);
    }

    /** A third-party API: Host becomes the API's, and nothing about the pod is forwarded. */
    public static UpstreamClient outbound(URI api, int maxIdlePerThread) {
        return new UpstreamClient(api, true, maxIdlePerThread);
    }

    /** An idle connection of this exchange's I/O thread, or a new one; for h2c, the thread's shared connection. */
    void connect(HttpServerExchange exchange, ClientCallback<ClientConnection> callback) {
        XnioIoThread thread = exchange.getIoThread();
        if (multiplexed) {
            connectShared(exchange, thread, callback);
            return;
        }
        ArrayDeque<ClientConnection> pool = idle.get(thread);
        if (pool != null) {
            for (ClientConnection connection = pool.pollLast(); connection != null; connection = pool.pollLast()) {
                if (connection.isOpen()) {
                    callback.completed(connection);
                    return;
                }
            }
        }
        UndertowClient.getInstance().connect(callback, upstream, thread, ssl, exchange.getConnection().getByteBufferPool(), options);
    }

    private void connectShared(HttpServerExchange exchange, XnioIoThread thread, ClientCallback<ClientConnection> callback) {
        ClientConnection current = shared.get(thread);
        if (current != null && current.isOpen()) {
            callback.completed(current);
            return;
        }
        H2cConnector.connect(new ClientCallback<>() {
            @Override
            public void completed(ClientConnection opened) {
                // Requests that arrived while it was being opened each opened one: the first to finish is shared, the others
                // serve the request that opened them and are closed after it.
                ClientConnection now = shared.get(thread);
                if (!closed && (now == null || !now.isOpen())) {
                    shared.put(thread, opened);
                }
                callback.completed(opened);
            }

            @Override
            public void failed(IOException e) {
                callback.failed(e);
            }
        }, upstream, thread, exchange.getConnection().getByteBufferPool(), options);
    }

    /** Returns a connection whose exchange is over to its thread's pool, or closes it. */
    void release(ClientConnection connection) {
        if (multiplexed) {
            if (closed || !connection.isOpen() || shared.get(connection.getIoThread()) != connection) {
                IoUtils.safeClose(connection);
            }
            return;
        }
        if (closed || !connection.isOpen()) {
            IoUtils.safeClose(connection);
            return;
        }
        ArrayDeque<ClientConnection> pool = idle.computeIfAbsent(connection.getIoThread(), thread -> new ArrayDeque<>());
        if (pool.size() >= maxIdlePerThread) {
            IoUtils.safeClose(connection);
        } else {
            pool.addLast(connection);
        }
    }

    /**
     * Gives up on an exchange that cannot be finished (it failed, timed out, or left its connection unfit for another
     * request): over HTTP/1 its connection is closed; over h2c only its stream is reset, as other requests share the
     * connection. {@code exchange} is null when the request was not sent yet.
     */
    void discard(ClientConnection connection, ClientExchange exchange) {
        if (connection == null) {
            return;
        }
        if (!multiplexed || shared.get(connection.getIoThread()) != connection) {
            IoUtils.safeClose(connection);
        } else if (exchange != null) {
            IoUtils.safeClose(exchange.getRequestChannel(), exchange.getResponseChannel());
        }
    }

    /** The path and query to request upstream: the upstream's base path, then the client's. */
    String path(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        if (exchange.isHostIncludedInRequestURI()) {
            // An absolute-form request line (GET http://host/path): the upstream is asked for the path alone.
            int authority = uri.indexOf("//");
            int pathStart = authority < 0 ? -1 : uri.indexOf('/', authority + 2);
            uri = pathStart < 0 ? "/" : uri.substring(pathStart);
        }
        String query = exchange.getQueryString();
        String path = basePath + uri;
        return query == null || query.isEmpty() ? path : path + "?" + query;
    }

    /** The Host header to send, or null to keep the client's. */
    String hostHeader() {
        return hostHeader;
    }

    String authority() {
        return upstream.getRawAuthority();
    }

    boolean forwardedHeaders() {
        return forwardedHeaders;
    }

    @Override
    public void close() {
        closed = true;
        shared.forEach((thread, connection) -> thread.execute(() -> IoUtils.safeClose(connection)));
        idle.forEach((thread, pool) -> thread.execute(() -> {
            for (ClientConnection connection = pool.pollLast(); connection != null; connection = pool.pollLast()) {
                IoUtils.safeClose(connection);
            }
        }));
    }

    private static XnioSsl defaultSsl() {
        try {
            return new UndertowXnioSsl(Xnio.getInstance(), OptionMap.EMPTY, SSLContext.getDefault());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context", e);
        }
    }
}
