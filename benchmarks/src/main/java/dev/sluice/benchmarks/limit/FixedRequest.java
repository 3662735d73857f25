package dev.sluice.benchmarks.limit;

import dev.sluice.sidecar.match.RequestView;
import java.util.List;

/**
 * A request whose parts are all built in advance, so that a benchmark measures the limiter and not
 * the server: the sidecar's own view reads them from the Undertow exchange.
 */
final class FixedRequest implements RequestView {
    private final String method;
    private final String path;
    private final String headerName;
    private final String headerValue;
    private final List<String> headerLines;
    private final byte[] peerAddress;
    private final String peerAddressText;

    FixedRequest(String method, String path, String headerName, String headerValue, byte[] peerAddress) {
        this.method = method;
        this.path = path;
        this.headerName = headerName;
        this.headerValue = headerValue;
        this.headerLines = headerValue == null ? List.of() : List.of(headerValue);
        this.peerAddress = peerAddress.clone();
        this.peerAddressText = (peerAddress[0] & 0xff) + "." + (peerAddress[1] & 0xff) + "." + (peerAddress[2] & 0xff) + "." + (peerAddress[3] & 0xff);
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String header(String name) {
        return headerName.equalsIgnoreCase(name) ? headerValue : null;
    }

    @Override
    public List<String> headerLines(String name) {
        return headerName.equalsIgnoreCase(name) ? headerLines : List.of();
    }

    @Override
    public byte[] peerAddress() {
        return peerAddress;
    }

    @Override
    public String peerAddressText() {
        return peerAddressText;
    }
}
