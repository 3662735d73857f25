package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Priority load shedding: a request's priority is the value of {@code priorityHeader} (or
 * {@code defaultPriority} when absent or unknown), and it is refused with 503 while the utilisation of
 * the concurrency limit is at or above its priority's {@code shedAtUtilisation}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.priorities.exists(p, p.name == self.defaultPriority)",
        message = "defaultPriority must name one of the priorities", fieldPath = ".defaultPriority")
public record SheddingConfig(
        @JsonPropertyDescription("The request header naming the priority, e.g. X-Priority.")
        @Required
        String priorityHeader,
        @JsonPropertyDescription("The priority of requests whose header is missing or names no priority.")
        @Required @Size(max = 63)
        String defaultPriority,
        @JsonPropertyDescription("The priorities and the utilisation (percent) from which each is shed.")
        @Required @Size(min = 1, max = SheddingConfig.MAX_PRIORITIES)
        List<PriorityConfig> priorities) {
    public static final int MAX_PRIORITIES = 16;

    public SheddingConfig {
        priorities = priorities == null ? List.of() : List.copyOf(priorities);
    }
}
