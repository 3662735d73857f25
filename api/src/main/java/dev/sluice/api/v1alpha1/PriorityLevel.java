package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** One priority: requests carrying {@code name} are shed while utilisation is at or above {@code shedAtUtilisation} percent. */
public record PriorityLevel(
        @JsonPropertyDescription("The priority's name, as the priority header carries it, e.g. critical, normal, low.")
        @Required @Size(max = 63)
        String name,
        @JsonPropertyDescription("Utilisation of the concurrency limit (percent, 1-100) from which requests of this priority are shed.")
        @Required @Min(1) @Max(100)
        Integer shedAtUtilisation) {
}
