package dev.sluice.operator.monitoring;

import java.util.List;
import java.util.Locale;

/** {@code --log-level} and {@code --log-format}, read the same way by the operator and its uninstall command. */
public final class LogFlags {
    /** The root log level when none is given. */
    public static final String DEFAULT_LEVEL = "INFO";
    private static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    private LogFlags() {
    }

    /** {@code --log-level}'s value (any case, trimmed) upper case, {@link #DEFAULT_LEVEL} when unset. */
    public static String level(String value) {
        if (value == null) {
            return DEFAULT_LEVEL;
        }
        String level = value.trim().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException("--log-level must be trace, debug, info, warn or error (any case), got '" + value + "'");
        }
        return level;
    }

    /** Whether {@code --log-format} (text, the default, or json) asks for JSON logs, one object per line. */
    public static boolean json(String value) {
        if (value != null && !value.equals("json") && !value.equals("text")) {
            throw new IllegalArgumentException("--log-format must be text or json, got '" + value + "'");
        }
        return "json".equals(value);
    }
}
