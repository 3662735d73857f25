package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.Durations;
import dev.sluice.api.config.Syntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A JobQuota's failure backoff: Jobs carrying the same value of {@code keyLabel} are attempts of
 * the same work; after one of them failed, the next may run only once {@code period} has passed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FailureBackoff(
        @JsonPropertyDescription("The Job label whose value names \"the same Job\" across attempts, e.g. app.example.com/run.")
        @Required @Pattern(Syntax.LABEL_KEY_PATTERN)
        String keyLabel,
        @JsonPropertyDescription("How long after a failure the next attempt with the same key must wait, e.g. 5m.")
        @Default(FailureBackoff.DEFAULT_PERIOD) @Pattern(Durations.PATTERN)
        String period) {

    public static final String DEFAULT_PERIOD = "5m";

    public FailureBackoff {
        period = period == null ? DEFAULT_PERIOD : period;
    }
}
