package dev.sluice.api.config;

import java.util.List;

/** The limits of one tier. */
public record TierConfig(String name, List<LimitConfig> limits) {
    public TierConfig {
        limits = limits == null ? List.of() : List.copyOf(limits);
    }
}
