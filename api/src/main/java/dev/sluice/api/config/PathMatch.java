package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Exactly one of {@code exact}, {@code prefix} or {@code regex} (a Java regex matched against the whole path). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1",
        message = "must have exactly one of exact, prefix or regex")
public record PathMatch(
        @JsonPropertyDescription("The whole path, e.g. /api/login.") @Pattern("^/") String exact,
        @JsonPropertyDescription("A path prefix, e.g. /api/.") @Pattern("^/") String prefix,
        @JsonPropertyDescription("A Java regular expression matched against the whole path.") String regex) {
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
