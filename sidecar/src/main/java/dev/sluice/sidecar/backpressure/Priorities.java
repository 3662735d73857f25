package dev.sluice.sidecar.backpressure;

import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.SheddingConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The priorities of a gate, ranked from the most shed (lowest {@code shedAtUtilisation}; of equal ones, the
 * one listed last) to the least.
 * Without shedding there is one priority that is shed only when the gate is full.
 */
public final class Priorities {
    private final String header;
    private final Priority[] ranked;
    private final Map<String, Priority> byName;
    private final Priority fallback;

    private Priorities(String header, List<Priority> ranked, Priority fallback) {
        this.header = header;
        this.ranked = ranked.toArray(Priority[]::new);
        this.byName = new HashMap<>();
        ranked.forEach(priority -> byName.put(priority.name(), priority));
        this.fallback = fallback;
    }

    public static Priorities none() {
        Priority only = new Priority("default", 0, 100);
        return new Priorities(null, List.of(only), only);
    }

    public static Priorities of(SheddingConfig shedding) {
        if (shedding == null) {
            return none();
        }
        List<PriorityConfig> listed = shedding.priorities();
        List<PriorityConfig> sorted = new ArrayList<>(listed);
        // Shed first: the lowest threshold; between equal thresholds, the one listed last.
        sorted.sort(Comparator.comparingInt(PriorityConfig::shedAtUtilisation)
                .thenComparing(Comparator.comparingInt((PriorityConfig config) -> listed.indexOf(config)).reversed()));
        List<Priority> ranked = new ArrayList<>();
        Priority fallback = null;
        for (int rank = 0; rank < sorted.size(); rank++) {
            PriorityConfig config = sorted.get(rank);
            Priority priority = new Priority(config.name(), rank, config.shedAtUtilisation());
            ranked.add(priority);
            if (config.name().equals(shedding.defaultPriority())) {
                fallback = priority;
            }
        }
        return new Priorities(shedding.priorityHeader(), ranked, fallback);
    }

    /** The priority a request with header value {@code value} (null when absent) has. */
    public Priority forValue(String value) {
        if (value == null) {
            return fallback;
        }
        Priority priority = byName.get(value);
        return priority == null ? fallback : priority;
    }

    /** The request header naming the priority, or null without shedding. */
    public String header() {
        return header;
    }

    public int size() {
        return ranked.length;
    }

    public Priority byRank(int rank) {
        return ranked[rank];
    }

    /**
     * One priority.
     *
     * @param rank 0 for the first shed, higher for the more important
     * @param shedAtPercent utilisation (percent of the limit in flight) from which it is shed; 100 means only when full
     */
    public record Priority(String name, int rank, int shedAtPercent) {
    }
}
