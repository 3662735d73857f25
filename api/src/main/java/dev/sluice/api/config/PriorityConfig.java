package dev.sluice.api.config;

/** One priority: its requests are shed while utilisation is at or above {@code shedAtUtilisation} percent (100: only when full). */
public record PriorityConfig(String name, Integer shedAtUtilisation) {
}
