package dev.sluice.sidecar.redis;

import java.util.Arrays;

/** A Redis password from the environment; never printed. */
public final class RedisPassword {
    public static final String ENVIRONMENT_VARIABLE = "SLUICE_REDIS_PASSWORD";

    private final char[] value;

    private RedisPassword(char[] value) {
        this.value = value;
    }

    /** The password, or null for none. */
    public static RedisPassword of(String value) {
        return value == null || value.isEmpty() ? null : new RedisPassword(value.toCharArray());
    }

    char[] value() {
        return Arrays.copyOf(value, value.length);
    }

    @Override
    public String toString() {
        return "RedisPassword[****]";
    }
}
