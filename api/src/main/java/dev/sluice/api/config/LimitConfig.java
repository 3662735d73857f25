package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One limit: {@code requests} per {@code period} (a duration such as {@code 500ms}, {@code 1s},
 * {@code 5m}, {@code 1h}, {@code 1d}, or {@code 1mo} for calendar months with the fixed window).
 * {@code burst} is the token bucket's capacity (default: {@code requests}). {@code name} labels the
 * limit in the {@code RateLimit-Policy} header (default: the rule's name and the limit's period).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LimitConfig(String name, Long requests, String period, Long burst) {
    public static LimitConfig of(long requests, String period) {
        return new LimitConfig(null, requests, period, null);
    }

    public LimitConfig withBurst(long burst) {
        return new LimitConfig(name, requests, period, burst);
    }
}
