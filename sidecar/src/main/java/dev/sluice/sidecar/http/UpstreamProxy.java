package dev.sluice.sidecar.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.ResponseCodeHandler;
import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.server.handlers.proxy.ProxyHandler;
import io.undertow.util.StatusCodes;
import java.net.URI;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Forwards requests to the app through Undertow's own proxy handler, with a pool of keep-alive
 * connections per I/O thread. Bodies stream in both directions; {@code X-Forwarded-For}, {@code -Proto},
 * {@code -Host} and {@code -Port} are added (an existing {@code X-Forwarded-For} is appended to). The
 * app not accepting a connection gives 502, and no complete response within the timeout gives 504.
 */
public final class UpstreamProxy {
    /** How long the pool waits before trying an upstream again after it refused a connection. */
    private static final int PROBLEM_SERVER_RETRY_SECONDS = 1;

    private UpstreamProxy() {
    }

    /** {@code overhead} records each request's time from arrival to its upstream connection. */
    public static HttpHandler create(URI upstream, Duration timeout, int connectionsPerThread, ProxyOverhead overhead) {
        LoadBalancingProxyClient pool = new LoadBalancingProxyClient()
                .setConnectionsPerThread(connectionsPerThread)
                .setProblemServerRetry(PROBLEM_SERVER_RETRY_SECONDS)
                // Without TCP_NODELAY a request's headers and body, written apart, wait on the app's delayed ACK.
                .addHost(upstream, null, null, OptionMap.create(Options.TCP_NODELAY, true));
        return ProxyHandler.builder()
                .setProxyClient(new BadGatewayOnConnectFailure(pool, overhead))
                .setMaxRequestTime(Math.toIntExact(timeout.toMillis()))
                .setReuseXForwarded(true)
                .setRewriteHostHeader(false)
                .setNext(ResponseCodeHandler.HANDLE_404)
                .build();
    }

    /**
     * Undertow answers 503 when it cannot connect; a proxy in front of one app should say 502 (the app
     * is down), keeping 503 for the sidecar's own shedding and open circuits. The connection callback
     * is also where the sidecar's part of the request ends: Undertow's proxy writes the request on the
     * connection right after, in the same turn of the I/O thread.
     */
    private record BadGatewayOnConnectFailure(ProxyClient delegate, ProxyOverhead overhead) implements ProxyClient {
        @Override
        public ProxyTarget findTarget(HttpServerExchange exchange) {
            return delegate.findTarget(exchange);
        }

        @Override
        public List<ProxyTarget> getAllTargets() {
            return delegate.getAllTargets();
        }

        @Override
        public void getConnection(ProxyTarget target, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback,
                                  long timeout, TimeUnit unit) {
            delegate.getConnection(target, exchange, new ProxyCallback<>() {
                @Override
                public void completed(HttpServerExchange exchange, ProxyConnection result) {
                    overhead.record(ProxyOverhead.sinceArrival(exchange, System.nanoTime()));
                    callback.completed(exchange, result);
                }

                @Override
                public void failed(HttpServerExchange exchange) {
                    badGateway(exchange);
                }

                @Override
                public void couldNotResolveBackend(HttpServerExchange exchange) {
                    badGateway(exchange);
                }

                @Override
                public void queuedRequestFailed(HttpServerExchange exchange) {
                    callback.queuedRequestFailed(exchange);
                }
            }, timeout, unit);
        }

        private static void badGateway(HttpServerExchange exchange) {
            if (exchange.isResponseStarted()) {
                IoUtils.safeClose(exchange.getConnection());
                return;
            }
            exchange.setStatusCode(StatusCodes.BAD_GATEWAY);
            exchange.endExchange();
        }
    }
}
