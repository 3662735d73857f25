package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Priority load shedding: a request's priority is the value of {@code priorityHeader} (or
 * {@code defaultPriority} when absent or unknown), and it is refused with 503 while the utilisation of
 * the concurrency limit is at or above its priority's {@code shedAtUtilisation}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SheddingConfig(String priorityHeader, String defaultPriority, List<PriorityConfig> priorities) {
    public SheddingConfig {
        priorities = priorities == null ? List.of() : List.copyOf(priorities);
    }
}
