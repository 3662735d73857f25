package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * At most {@code maxConcurrent} requests in flight; up to {@code queueSize} more wait, each at most
 * {@code maxWait}, for a slot; the rest are refused with 503. An upgraded connection (a WebSocket) holds a
 * slot for its handshake only, unless {@code countUpgradedConnections}: then it keeps the slot until it
 * closes. That flag is absent rather than false when off (null here, never written out), so that documents
 * which do not use it read as they did before it existed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.maxWait) || duration(self.maxWait) <= duration('" + ConcurrencyConfig.MAX_WAIT + "')",
        message = "maxWait must be at most " + ConcurrencyConfig.MAX_WAIT, fieldPath = ".maxWait")
public record ConcurrencyConfig(
        @JsonPropertyDescription("Requests in flight at once.")
        @Required @Min(1) @Max(ConcurrencyConfig.MAX_CONCURRENT)
        Integer maxConcurrent,
        @JsonPropertyDescription("Requests that may wait for a slot; beyond that they are rejected with 503.")
        @Default("" + ConcurrencyConfig.DEFAULT_QUEUE_SIZE) @Min(0) @Max(ConcurrencyConfig.MAX_QUEUE_SIZE)
        Integer queueSize,
        @JsonPropertyDescription("The longest a request waits in the queue, e.g. 100ms.")
        @Default(ConcurrencyConfig.DEFAULT_MAX_WAIT) @Pattern(Durations.PATTERN)
        String maxWait,
        @JsonPropertyDescription("Whether an upgraded connection (a WebSocket) keeps its slot until it closes, rather than for its"
                + " handshake only (the default, false).")
        Boolean countUpgradedConnections) {
    public static final int DEFAULT_QUEUE_SIZE = 0;
    public static final String DEFAULT_MAX_WAIT = "100ms";
    public static final int MAX_QUEUE_SIZE = 100_000;
    public static final int MAX_CONCURRENT = 1_000_000;
    /** The longest a request may be held in the queue; a longer wait is a timeout, not backpressure. */
    public static final String MAX_WAIT = "10m";

    public ConcurrencyConfig {
        queueSize = queueSize == null ? DEFAULT_QUEUE_SIZE : queueSize;
        maxWait = maxWait == null ? DEFAULT_MAX_WAIT : maxWait;
        countUpgradedConnections = Boolean.TRUE.equals(countUpgradedConnections) ? Boolean.TRUE : null;
    }

    /** A cap counting requests only, an upgraded connection for its handshake. */
    public ConcurrencyConfig(Integer maxConcurrent, Integer queueSize, String maxWait) {
        this(maxConcurrent, queueSize, maxWait, null);
    }

    /** Whether an open upgraded connection keeps the slot its handshake took. */
    public boolean countsUpgradedConnections() {
        return Boolean.TRUE.equals(countUpgradedConnections);
    }
}
