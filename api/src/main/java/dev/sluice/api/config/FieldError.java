package dev.sluice.api.config;

/** A problem with one field of a configuration or resource: its path (e.g. {@code policies[0].rules[1].limits[0].period}) and what is wrong. */
public record FieldError(String field, String message) {
    @Override
    public String toString() {
        return field.isEmpty() ? message : field + ": " + message;
    }
}
