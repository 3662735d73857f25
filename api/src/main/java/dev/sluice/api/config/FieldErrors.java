package dev.sluice.api.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The errors a validator finds, with the checks that recur across validators of the document and of
 * the resources: each check names the field, the value and what is allowed.
 */
public final class FieldErrors {
    private final List<FieldError> errors = new ArrayList<>();

    public void add(String field, String message) {
        errors.add(new FieldError(field, message));
    }

    public void addAll(List<FieldError> more) {
        errors.addAll(more);
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public List<FieldError> list() {
        return List.copyOf(errors);
    }

    /** HTTP statuses, each between 100 and 599 and listed once. */
    public void httpStatuses(List<Integer> statuses, String path) {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < statuses.size(); i++) {
            Integer status = statuses.get(i);
            if (status == null || status < 100 || status > 599) {
                add(path + "[" + i + "]", "must be an HTTP status between 100 and 599, got " + status);
            } else if (!seen.add(status)) {
                add(path + "[" + i + "]", status + " is listed twice");
            }
        }
    }

    public void percent(Integer value, String path) {
        if (value == null || value < Syntax.MIN_PERCENT || value > Syntax.MAX_PERCENT) {
            add(path, "must be between " + Syntax.MIN_PERCENT + " and " + Syntax.MAX_PERCENT + " (percent), got " + value);
        }
    }

    public void atLeastOne(Integer value, String path) {
        atLeast(1, value, path);
    }

    public void atLeast(int minimum, Integer value, String path) {
        if (value == null || value < minimum) {
            add(path, "must be at least " + minimum + ", got " + value);
        }
    }

    /** A duration such as {@code 500ms} or {@code 2s}; null when absent or invalid (then reported). */
    public Duration duration(String text, String path) {
        if (text == null) {
            return null;
        }
        try {
            return LimitPeriod.parseDuration(text);
        } catch (IllegalArgumentException e) {
            add(path, e.getMessage());
            return null;
        }
    }

    /** A route's name, as metrics carry it. */
    public void routeName(String name, String path) {
        if (!Syntax.isRouteName(name)) {
            add(path, "'" + name + "' must be lower-case letters, digits and '-', at most 63 characters");
        }
    }

    /** Where a route forwards to: an http or https URL with a host and no query or fragment. */
    public void upstream(String upstream, String path) {
        if (upstream == null) {
            add(path, "is required: the URL calls are forwarded to, e.g. https://api.example.com");
            return;
        }
        try {
            URI uri = new URI(upstream);
            boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            if (!http || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
                add(path, "'" + upstream + "' must be an http or https URL with a host and no query or fragment");
            }
        } catch (URISyntaxException e) {
            add(path, "'" + upstream + "' is not a URL: " + e.getReason());
        }
    }

    public void port(Integer port, String path) {
        if (!Syntax.isPort(port)) {
            add(path, "must be between " + Syntax.MIN_PORT + " and " + Syntax.MAX_PORT + ", got " + port);
        }
    }

    /** Methods a retry may repeat: tokens in upper case. */
    public void retryMethods(List<String> methods, String path) {
        for (int i = 0; i < methods.size(); i++) {
            String method = methods.get(i);
            if (!Syntax.isMethod(method)) {
                add(path + "[" + i + "]", "'" + method + "' is not an HTTP method in upper case (e.g. GET, PUT)");
            }
        }
    }

    public void headerName(String header, String path) {
        if (!Syntax.isHttpToken(header)) {
            add(path, "'" + header + "' is not a valid header name");
        }
    }
}
