package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Which requests a rule applies to. Every given condition must hold; an empty match applies to every request. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record MatchConfig(
        @JsonPropertyDescription("The request path: exactly one of exact, prefix or regex.") PathMatch path,
        @JsonPropertyDescription("HTTP methods in upper case, e.g. GET, POST; none means every method.") @Size(max = 16) List<String> methods,
        @JsonPropertyDescription("Header conditions; all must hold.") @Size(max = 16) List<HeaderMatch> headers) {
    public MatchConfig {
        methods = methods == null ? List.of() : List.copyOf(methods);
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    public static MatchConfig any() {
        return new MatchConfig(null, List.of(), List.of());
    }
}
