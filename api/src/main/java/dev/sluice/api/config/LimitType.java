package dev.sluice.api.config;

import java.util.Locale;

/** The level a rule limits at, exported as the {@code limit_type} metric label. */
public enum LimitType {
    Global, Endpoint, Client;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
