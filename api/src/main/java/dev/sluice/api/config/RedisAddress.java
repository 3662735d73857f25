package dev.sluice.api.config;

/** A Redis node's {@code host:port} ({@code [v6]:port} for an IPv6 literal); the port may be left out. */
public record RedisAddress(String host, int port) {

    /** Parses {@code text}, taking {@code defaultPort} when it names none. */
    public static RedisAddress parse(String text, int defaultPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must be host:port, got nothing");
        }
        String host;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' opens an IPv6 literal with [ but does not close it");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("'" + text + "' must be [address]:port");
                }
                port = rest.substring(1);
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0 && text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' has several ':': write an IPv6 address as [address]:port");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + text + "' has no valid host");
        }
        if (port == null) {
            return new RedisAddress(host, defaultPort);
        }
        try {
            int number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                throw new NumberFormatException();
            }
            return new RedisAddress(host, number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no valid port (1-65535)");
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
