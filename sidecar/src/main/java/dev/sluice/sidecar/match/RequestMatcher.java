package dev.sluice.sidecar.match;

import dev.sluice.api.config.HeaderMatch;
import dev.sluice.api.config.MatchConfig;
import dev.sluice.api.config.PathMatch;
import java.util.List;
import java.util.regex.Pattern;

/** A rule's {@code match}, compiled once per configuration. */
public final class RequestMatcher {
    private final String exactPath;
    private final String pathPrefix;
    private final Pattern pathRegex;
    private final String[] methods;
    private final HeaderCondition[] headers;

    private RequestMatcher(String exactPath, String pathPrefix, Pattern pathRegex, String[] methods, HeaderCondition[] headers) {
        this.exactPath = exactPath;
        this.pathPrefix = pathPrefix;
        this.pathRegex = pathRegex;
        this.methods = methods;
        this.headers = headers;
    }

    public static RequestMatcher compile(MatchConfig match) {
        PathMatch path = match.path();
        List<HeaderMatch> headerMatches = match.headers();
        HeaderCondition[] headers = new HeaderCondition[headerMatches.size()];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = HeaderCondition.compile(headerMatches.get(i));
        }
        return new RequestMatcher(
                path == null ? null : path.exact(),
                path == null ? null : path.prefix(),
                path == null || path.regex() == null ? null : Pattern.compile(path.regex()),
                match.methods().toArray(String[]::new),
                headers);
    }

    public boolean matches(RequestView request) {
        return pathMatches(request.path()) && methodMatches(request.method()) && headersMatch(request);
    }

    private boolean pathMatches(String path) {
        if (exactPath != null) {
            return exactPath.equals(path);
        }
        if (pathPrefix != null) {
            return path.startsWith(pathPrefix);
        }
        return pathRegex == null || pathRegex.matcher(path).matches();
    }

    private boolean methodMatches(String method) {
        if (methods.length == 0) {
            return true;
        }
        for (String allowed : methods) {
            if (allowed.equals(method)) {
                return true;
            }
        }
        return false;
    }

    private boolean headersMatch(RequestView request) {
        for (HeaderCondition header : headers) {
            if (!header.matches(request.header(header.name))) {
                return false;
            }
        }
        return true;
    }

    private record HeaderCondition(String name, String exact, String prefix, Pattern regex, boolean mustBePresent) {
        static HeaderCondition compile(HeaderMatch match) {
            boolean present = match.present() == null || match.present();
            return new HeaderCondition(match.name(), match.exact(), match.prefix(),
                    match.regex() == null ? null : Pattern.compile(match.regex()), present);
        }

        boolean matches(String value) {
            if (value == null) {
                return !mustBePresent;
            }
            if (!mustBePresent) {
                return false;
            }
            if (exact != null) {
                return exact.equals(value);
            }
            if (prefix != null) {
                return value.startsWith(prefix);
            }
            return regex == null || regex.matcher(value).matches();
        }
    }
}
