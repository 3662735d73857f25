package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** A breaker's sliding window: the last {@code size} calls ({@code Count}) or the calls of the last {@code size} seconds ({@code Time}). */
@ValidationRule(value = "self.type != 'Time' || self.size <= " + WindowConfig.MAX_TIME_WINDOW_SECONDS,
        message = "a Time window is at most " + WindowConfig.MAX_TIME_WINDOW_SECONDS + " seconds", fieldPath = ".size")
public record WindowConfig(
        @JsonPropertyDescription("Count (the last size calls) or Time (the last size seconds).")
        @Default("Count")
        WindowType type,
        @JsonPropertyDescription("Calls (Count) or seconds (Time).")
        @Default("" + WindowConfig.DEFAULT_SIZE) @Min(1) @Max(WindowConfig.MAX_COUNT_WINDOW_SIZE)
        Integer size) {

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
