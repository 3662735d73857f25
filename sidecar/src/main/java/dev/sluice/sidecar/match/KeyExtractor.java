package dev.sluice.sidecar.match;

import dev.sluice.api.config.KeyDimension;
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
    public boolean append(RequestView request, RequestKey key) {
        boolean complete = true;
        for (KeyDimension dimension : dimensions) {
            key.append(SEPARATOR);
            boolean present = switch (dimension.type()) {
                case ClientIP -> appendValue(clientAddresses.clientAddress(request), key);
                case Header -> appendValue(request.header(dimension.header()), key);
                case PathSegment -> appendPathSegment(request.path(), dimension.segment(), key);
                case Route -> {
                    key.append(request.method()).append(' ').append(request.path());
                    yield true;
                }
            };
            complete &= present;
        }
        return complete;
    }

    private static boolean appendValue(String value, RequestKey key) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        key.append(value);
        return true;
    }

    /** Segment {@code index} (zero-based) of a path: in /api/v1/users/42, 0 is "api" and 3 is "42". */
    static String pathSegment(String path, int index) {
        RequestKey segment = new RequestKey();
        return appendPathSegment(path, index, segment) ? segment.toString() : null;
    }

    /** Appends segment {@code index} of {@code path} to {@code key} without a substring; false if it is absent or empty. */
    private static boolean appendPathSegment(String path, int index, RequestKey key) {
        int start = path.startsWith("/") ? 1 : 0;
        for (int i = 0; i < index; i++) {
            int slash = path.indexOf('/', start);
            if (slash < 0) {
                return false;
            }
            start = slash + 1;
        }
        if (start > path.length()) {
            return false;
        }
        int end = path.indexOf('/', start);
        if (end < 0) {
            end = path.length();
        }
        if (end == start) {
            return false;
        }
        key.append(path, start, end);
        return true;
    }
}
