package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Which requests a rule applies to. Every given condition must hold; an empty match applies to every request. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record MatchConfig(PathMatch path, List<String> methods, List<HeaderMatch> headers) {
    public MatchConfig {
        methods = methods == null ? List.of() : List.copyOf(methods);
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    public static MatchConfig any() {
        return new MatchConfig(null, List.of(), List.of());
    }
}
