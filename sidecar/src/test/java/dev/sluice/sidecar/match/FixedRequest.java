package dev.sluice.sidecar.match;

import dev.sluice.api.config.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A request for tests and benchmarks: method, path, headers (a name given twice is two header lines) and
 * peer, built fluently. Everything is worked out when it is built, so that reading it allocates nothing
 * and a benchmark measures the limiter, not this request (the sidecar's own view reads the Undertow exchange).
 */
public final class FixedRequest implements RequestView {
    private final String method;
    private final String path;
    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private String peer;
    private byte[] peerAddress;

    private FixedRequest(String method, String path) {
        this.method = method;
        this.path = path;
        from("192.0.2.10");
    }

    public static FixedRequest get(String path) {
        return new FixedRequest("GET", path);
    }

    public static FixedRequest request(String method, String path) {
        return new FixedRequest(method, path);
    }

    public FixedRequest header(String name, String value) {
        headers.computeIfAbsent(name, same -> new ArrayList<>()).add(value);
        return this;
    }

    public FixedRequest from(String peer) {
        this.peer = peer;
        this.peerAddress = Cidr.IpAddresses.parse(peer);
        return this;
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
        List<String> lines = headers.get(name);
        return lines == null ? null : lines.get(0);
    }

    @Override
    public List<String> headerLines(String name) {
        return headers.getOrDefault(name, List.of());
    }

    @Override
    public byte[] peerAddress() {
        return peerAddress;
    }

    @Override
    public String peerAddressText() {
        return peer;
    }
}
