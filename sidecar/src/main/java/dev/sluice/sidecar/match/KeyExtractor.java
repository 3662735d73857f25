package dev.sluice.sidecar.match;

import dev.sluice.api.config.KeyDimension;
import dev.sluice.api.config.KeyType;
import java.util.List;

/**
 * Builds a rule's compound key from a request: the values of every dimension, separated by a
 * character that cannot occur in them. A dimension absent from the request contributes an empty
 * value, so every request lacking it shares one counter; {@link #append} reports the absence so that
 * a rule configured to {@code Skip} such requests can.
 */
public final class KeyExtractor {
    static final char SEPARATOR = '\u001f';
    private final KeyDimension[] dimensions;
    private final ClientAddresses clientAddresses;

    public KeyExtractor(List<KeyDimension> dimensions, ClientAddresses clientAddresses) {
        this.dimensions = dimensions.toArray(KeyDimension[]::new);
        this.clientAddresses = clientAddresses;
    }

    public boolean isEmpty() {
        return dimensions.length == 0;
    }

    /**
     * Appends the key of {@code request} to {@code key}.
     *
     * @return false if a dimension was absent from the request
     */
    public boolean append(RequestView request, StringBuilder key) {
        boolean complete = true;
        for (KeyDimension dimension : dimensions) {
            key.append(SEPARATOR);
            if (dimension.type() == KeyType.Route) {
                key.append(request.method()).append(' ').append(request.path());
                continue;
            }
            String value = switch (dimension.type()) {
                case ClientIP -> clientAddresses.clientAddress(request);
                case Header -> request.header(dimension.header());
                case PathSegment -> pathSegment(request.path(), dimension.segment());
                case Route -> throw new AssertionError("handled above");
            };
            if (value == null || value.isEmpty()) {
                complete = false;
            } else {
                key.append(value);
            }
        }
        return complete;
    }

    /** Segment {@code index} (zero-based) of a path: in /api/v1/users/42, 0 is "api" and 3 is "42". */
    static String pathSegment(String path, int index) {
        int start = path.startsWith("/") ? 1 : 0;
        for (int i = 0; i < index; i++) {
            int slash = path.indexOf('/', start);
            if (slash < 0) {
                return null;
            }
            start = slash + 1;
        }
        if (start > path.length()) {
            return null;
        }
        int end = path.indexOf('/', start);
        String segment = end < 0 ? path.substring(start) : path.substring(start, end);
        return segment.isEmpty() ? null : segment;
    }
}
