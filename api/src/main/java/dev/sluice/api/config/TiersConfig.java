package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Limits chosen by the value of a request header: a request whose {@code header} names one of the
 * {@code values} gets that tier's limits; any other value, or none, gets the {@code default} tier.
 * Each tier counts separately, so a key that changes tier starts with that tier's full quota.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.values.exists(t, t.name == self.default)", message = "default must name one of the tiers in values", fieldPath = ".default")
public record TiersConfig(
        @JsonPropertyDescription("The request header that names the tier, e.g. X-Plan.") @Required String header,
        @JsonPropertyDescription("The tier of requests whose header is missing or names no tier.") @Required @Size(max = 63) @JsonProperty("default") String defaultTier,
        @JsonPropertyDescription("The tiers and their limits.") @Required @Size(min = 1, max = 32) List<TierConfig> values) {
    public TiersConfig {
        values = values == null ? List.of() : List.copyOf(values);
    }
}
