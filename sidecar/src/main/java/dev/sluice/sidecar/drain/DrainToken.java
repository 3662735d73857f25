package dev.sluice.sidecar.drain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The secret a {@code /drain} call must present in {@link #HEADER}: the operator injects a random one per
 * pod into the sidecar ({@link #ENVIRONMENT_VARIABLE}) and into the app's preStop hook, so that no other
 * pod can take this one out of its Service. Never printed.
 */
public final class DrainToken {
    public static final String ENVIRONMENT_VARIABLE = "SLUICE_DRAIN_TOKEN";
    public static final String HEADER = "X-Sluice-Drain-Token";

    private final byte[] token;

    private DrainToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** The token in {@code value}, or null when it is unset or blank: then {@code /drain} is off. */
    public static DrainToken of(String value) {
        return value == null || value.isBlank() ? null : new DrainToken(value);
    }

    /** Whether {@code presented} is the token, compared in constant time so that timing does not reveal a prefix. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "DrainToken[redacted]";
    }
}
