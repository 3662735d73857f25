package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Exactly one of {@code exact}, {@code prefix} or {@code regex} (a Java regex matched against the whole path). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PathMatch(String exact, String prefix, String regex) {
    public static PathMatch prefix(String prefix) {
        return new PathMatch(null, prefix, null);
    }

    public static PathMatch exact(String exact) {
        return new PathMatch(exact, null, null);
    }

    public static PathMatch regex(String regex) {
        return new PathMatch(null, null, regex);
    }
}
