package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A request header condition: the header {@code name} with a value equal to {@code exact}, starting
 * with {@code prefix}, or matching {@code regex}; or, with {@code present}, the header's presence
 * ({@code true}) or absence ({@code false}). With none of these, the header must be present.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) + (has(self.present) ? 1 : 0) <= 1",
        message = "must have at most one of exact, prefix, regex or present")
public record HeaderMatch(
        @JsonPropertyDescription("The header name.") @Required String name,
        @JsonPropertyDescription("The value must equal this.") String exact,
        @JsonPropertyDescription("The value must start with this.") String prefix,
        @JsonPropertyDescription("The value must match this Java regular expression.") String regex,
        @JsonPropertyDescription("true: the header must be present; false: it must be absent.") Boolean present) {
}
