package dev.sluice.sidecar.match;

import dev.sluice.api.config.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A request for tests: method, path, headers (a name given twice is two header lines) and peer, built fluently. */
public final class FixedRequest implements RequestView {
    private final String method;
    private final String path;
    private final Map<String, List<String>> headers = new HashMap<>();
    private String peer = "192.0.2.10";

    private FixedRequest(String method, String path) {
        this.method = method;
        this.path = path;
    }

    public static FixedRequest get(String path) {
        return new FixedRequest("GET", path);
    }

    public static FixedRequest request(String method, String path) {
        return new FixedRequest(method, path);
    }

    public FixedRequest header(String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(), lower -> new ArrayList<>()).add(value);
        return this;
    }

    public FixedRequest from(String peer) {
        this.peer = peer;
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
        List<String> lines = headers.get(name.toLowerCase());
        return lines == null ? null : lines.get(0);
    }

    @Override
    public List<String> headerLines(String name) {
        return headers.getOrDefault(name.toLowerCase(), List.of());
    }

    @Override
    public byte[] peerAddress() {
        return Cidr.IpAddresses.parse(peer);
    }

    @Override
    public String peerAddressText() {
        return peer;
    }
}
