package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The limits of one tier. */
public record TierConfig(
        @JsonPropertyDescription("The tier's name, as the tier header carries it.") @Required @Size(max = 63) String name,
        @JsonPropertyDescription("The tier's limits; all must allow.") @Required @Size(min = 1, max = 8) List<LimitConfig> limits) {
    public TierConfig {
        limits = limits == null ? List.of() : List.copyOf(limits);
    }
}
