package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * One limit: {@code requests} per {@code period} (a duration such as {@code 500ms}, {@code 1s},
 * {@code 5m}, {@code 1h}, {@code 1d}, or {@code 1mo} for calendar months with the fixed window).
 * {@code burst} is the token bucket's capacity (default: {@code requests}). {@code name} labels the
 * limit in the {@code RateLimit-Policy} header (default: the rule's name and the limit's period).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LimitConfig(
        @JsonPropertyDescription("Labels the limit in the RateLimit-Policy header (default: the rule's name and the period).")
        @Pattern("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
        String name,
        @JsonPropertyDescription("Requests (or cost units) allowed per period.")
        @Required @Min(1)
        Long requests,
        @JsonPropertyDescription("The period: a whole number and ms, s, m, h, d or mo (calendar months, FixedWindow only), e.g. 1s, 1h, 1mo.")
        @Required @Pattern("^[0-9]+(ms|s|m|h|d|mo)$")
        String period,
        @JsonPropertyDescription("TokenBucket only: the bucket's capacity, allowing short bursts above the rate (default: requests).")
        @Min(1)
        Long burst) {

    public static LimitConfig of(long requests, String period) {
        return new LimitConfig(null, requests, period, null);
    }

    public LimitConfig withBurst(long burst) {
        return new LimitConfig(name, requests, period, burst);
    }
}
