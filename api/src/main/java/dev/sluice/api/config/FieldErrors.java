package dev.sluice.api.config;

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
        if (value == null || value < 1 || value > 100) {
            add(path, "must be between 1 and 100 (percent), got " + value);
        }
    }

    public void atLeastOne(Integer value, String path) {
        if (value == null || value < 1) {
            add(path, "must be at least 1, got " + value);
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
}
