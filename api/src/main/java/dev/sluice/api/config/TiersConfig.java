package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Limits chosen by the value of a request header: a request whose {@code header} names one of the
 * {@code values} gets that tier's limits; any other value, or none, gets the {@code default} tier.
 * Each tier counts separately, so a key that changes tier starts with that tier's full quota.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TiersConfig(String header, @JsonProperty("default") String defaultTier, List<TierConfig> values) {
    public TiersConfig {
        values = values == null ? List.of() : List.copyOf(values);
    }
}
