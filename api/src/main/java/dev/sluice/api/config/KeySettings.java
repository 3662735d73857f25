package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Bounds on the counters a sidecar keeps per rule: at most {@code maxPerRule} keys, so a flood of
 * distinct clients cannot exhaust the heap, and a key whose counters are full again is forgotten once
 * unseen for {@code idleTimeout} (never while they are not: that would reset its quota).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeySettings(Long maxPerRule, String idleTimeout) {
    public static final long DEFAULT_MAX_PER_RULE = 100_000;
    public static final String DEFAULT_IDLE_TIMEOUT = "10m";

    public KeySettings {
        maxPerRule = maxPerRule == null ? DEFAULT_MAX_PER_RULE : maxPerRule;
        idleTimeout = idleTimeout == null ? DEFAULT_IDLE_TIMEOUT : idleTimeout;
    }

    public static KeySettings defaults() {
        return new KeySettings(null, null);
    }
}
