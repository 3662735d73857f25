package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * A request's priority is the value of {@code priorityHeader} (or {@code defaultPriority}); a request
 * is shed with 503 while the concurrency limit's utilisation is at or above its priority's threshold.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.priorities.exists(p, p.name == self.defaultPriority)",
        message = "defaultPriority must name one of the priorities", fieldPath = ".defaultPriority")
public record LoadShedding(
        @JsonPropertyDescription("The request header naming the priority, e.g. X-Priority.")
        @Required
        String priorityHeader,
        @JsonPropertyDescription("The priority of requests whose header is missing or names no priority.")
        @Required @Size(max = 63)
        String defaultPriority,
        @JsonPropertyDescription("The priorities and the utilisation (percent) from which each is shed.")
        @Required @Size(min = 1, max = 16)
        List<PriorityLevel> priorities) {

    public LoadShedding {
        priorities = priorities == null ? List.of() : List.copyOf(priorities);
    }
}
