package dev.sluice.api.config;

/** A breaker's sliding window: the last {@code size} calls ({@code Count}) or the calls of the last {@code size} seconds ({@code Time}). */
public record WindowConfig(WindowType type, Integer size) {
    public static final int DEFAULT_SIZE = 100;
    public static final int MAX_TIME_WINDOW_SECONDS = 3600;
    public static final int MAX_COUNT_WINDOW_SIZE = 100_000;

    public WindowConfig {
        type = type == null ? WindowType.Count : type;
        size = size == null ? DEFAULT_SIZE : size;
    }

    public static WindowConfig defaults() {
        return new WindowConfig(null, null);
    }

    /** How a sliding window is measured. */
    public enum WindowType {
        Count, Time
    }
}
