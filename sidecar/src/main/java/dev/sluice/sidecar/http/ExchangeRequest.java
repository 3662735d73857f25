package dev.sluice.sidecar.http;

import dev.sluice.sidecar.match.RequestView;
import io.undertow.server.HttpServerExchange;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * An Undertow exchange seen as a {@link RequestView}; one per I/O thread, pointed at each exchange in
 * turn. The peer's address is formatted at most once per request, however many rules key on it.
 */
final class ExchangeRequest implements RequestView {
    private HttpServerExchange exchange;
    private byte[] peerAddress;
    private String peerAddressText;

    ExchangeRequest of(HttpServerExchange exchange) {
        clear();
        this.exchange = exchange;
        return this;
    }

    void clear() {
        this.exchange = null;
        this.peerAddress = null;
        this.peerAddressText = null;
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
    public List<String> headerLines(String name) {
        List<String> lines = exchange.getRequestHeaders().get(name);
        return lines == null ? List.of() : lines;
    }

    @Override
    public byte[] peerAddress() {
        if (peerAddress == null) {
            InetSocketAddress source = exchange.getSourceAddress();
            peerAddress = source == null || source.getAddress() == null ? null : source.getAddress().getAddress();
        }
        return peerAddress;
    }

    @Override
    public String peerAddressText() {
        if (peerAddressText == null) {
            InetSocketAddress source = exchange.getSourceAddress();
            peerAddressText = source == null || source.getAddress() == null ? "" : source.getAddress().getHostAddress();
        }
        return peerAddressText;
    }
}
