package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * At most {@code maxConcurrent} requests in flight; up to {@code queueSize} more wait, each at most
 * {@code maxWait}, for a slot; the rest are refused with 503.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConcurrencyConfig(
        @JsonPropertyDescription("Requests in flight at once.")
        @Required @Min(1)
        Integer maxConcurrent,
        @JsonPropertyDescription("Requests that may wait for a slot; beyond that they are rejected with 503.")
        @Default("" + ConcurrencyConfig.DEFAULT_QUEUE_SIZE) @Min(0)
        Integer queueSize,
        @JsonPropertyDescription("The longest a request waits in the queue, e.g. 100ms.")
        @Default(ConcurrencyConfig.DEFAULT_MAX_WAIT) @Pattern(Durations.PATTERN)
        String maxWait) {
    public static final int DEFAULT_QUEUE_SIZE = 0;
    public static final String DEFAULT_MAX_WAIT = "100ms";
    public static final int MAX_QUEUE_SIZE = 100_000;

    public ConcurrencyConfig {
        queueSize = queueSize == null ? DEFAULT_QUEUE_SIZE : queueSize;
        maxWait = maxWait == null ? DEFAULT_MAX_WAIT : maxWait;
    }
}
