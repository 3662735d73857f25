package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The requests one rule of a RateLimitPolicy saw over the last minute, summed over the selected pods' sidecars,
 * rounded to two significant digits.
 */
public record RuleRate(
        @JsonPropertyDescription("The rule's name.")
        String rule,
        @JsonPropertyDescription("Requests let through per minute (shadow-rejected ones included).")
        Long allowedPerMinute,
        @JsonPropertyDescription("Requests rejected per minute.")
        Long rejectedPerMinute,
        @JsonPropertyDescription("Requests that mode Shadow would have rejected, per minute.")
        Long shadowRejectedPerMinute) {
}
