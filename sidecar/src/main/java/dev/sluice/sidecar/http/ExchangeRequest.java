package dev.sluice.sidecar.http;

import dev.sluice.sidecar.match.RequestView;
import io.undertow.server.HttpServerExchange;
import java.net.InetSocketAddress;

/** An Undertow exchange seen as a {@link RequestView}; one per I/O thread, pointed at each exchange in turn. */
final class ExchangeRequest implements RequestView {
    private HttpServerExchange exchange;

    ExchangeRequest of(HttpServerExchange exchange) {
        this.exchange = exchange;
        return this;
    }

    void clear() {
        this.exchange = null;
    }

    @Override
    public String method() {
        return exchange.getRequestMethod().toString();
    }

    @Override
    public String path() {
        return exchange.getRequestPath();
    }

    @Override
    public String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    @Override
    public byte[] peerAddress() {
        InetSocketAddress source = exchange.getSourceAddress();
        return source == null || source.getAddress() == null ? null : source.getAddress().getAddress();
    }

    @Override
    public String peerAddressText() {
        InetSocketAddress source = exchange.getSourceAddress();
        return source == null || source.getAddress() == null ? "" : source.getAddress().getHostAddress();
    }
}
