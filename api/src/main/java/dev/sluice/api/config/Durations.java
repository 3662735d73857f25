package dev.sluice.api.config;

/** The syntax of durations in resources: a whole number and ms, s, m or h, which CEL's {@code duration()} also reads. */
public final class Durations {
    public static final String PATTERN = "^[0-9]+(ms|s|m|h)$";

    private Durations() {
    }
}
