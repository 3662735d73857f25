package dev.sluice.sidecar.match;

import dev.sluice.api.config.Cidr;
import java.util.List;

/**
 * Finds the client's address. The TCP peer is the client unless it is a trusted proxy; then
 * {@code X-Forwarded-For} is read from the right (each proxy appends the address it saw), skipping
 * trusted proxies, and the first address not trusted is the client. A client cannot choose its key by
 * sending its own {@code X-Forwarded-For}: from an untrusted peer the header is ignored, and behind a
 * trusted proxy only the entries trusted proxies wrote count.
 *
 * <p>Several lines of the header are one list, in order (RFC 9110, 5.3): a proxy such as HAProxy adds
 * a line of its own instead of appending to the client's, so the forged line comes first and the
 * walk from the right must cross lines. The RFC 7239 {@code Forwarded} header is not read: proxies
 * that write it also write {@code X-Forwarded-For}, and reading two headers would let a client pick
 * the one the proxy did not sanitise.
 */
public final class ClientAddresses {
    private static final String FORWARDED_FOR = "X-Forwarded-For";

    private final Cidr[] trusted;

    public ClientAddresses(List<String> trustedProxies) {
        this.trusted = trustedProxies.stream().map(Cidr::parse).toArray(Cidr[]::new);
    }

    public String clientAddress(RequestView request) {
        if (trusted.length == 0 || !isTrusted(request.peerAddress())) {
            return request.peerAddressText();
        }
        List<String> lines = request.headerLines(FORWARDED_FOR);
        String leftmostTrusted = null;
        for (int line = lines.size() - 1; line >= 0; line--) {
            String forwardedFor = lines.get(line);
            int end = forwardedFor.length();
            while (end > 0) {
                int comma = forwardedFor.lastIndexOf(',', end - 1);
                String entry = stripPort(forwardedFor.substring(comma + 1, end).trim());
                end = comma < 0 ? 0 : comma;
                if (entry.isEmpty()) {
                    continue;
                }
                byte[] address = Cidr.IpAddresses.parse(entry);
                if (address == null) {
                    // A garbled entry: whatever lies to its left was written by nobody we trust.
                    return leftmostTrusted != null ? leftmostTrusted : request.peerAddressText();
                }
                if (!isTrusted(address)) {
                    return entry;
                }
                leftmostTrusted = entry;
            }
        }
        return leftmostTrusted != null ? leftmostTrusted : request.peerAddressText();
    }

    private boolean isTrusted(byte[] address) {
        for (Cidr cidr : trusted) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** "203.0.113.7:4711" and "[2001:db8::1]:4711" carry a port some proxies add. */
    private static String stripPort(String entry) {
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            return close > 0 ? entry.substring(1, close) : entry;
        }
        int colon = entry.indexOf(':');
        if (colon > 0 && colon == entry.lastIndexOf(':')) {
            return entry.substring(0, colon);
        }
        return entry;
    }
}
