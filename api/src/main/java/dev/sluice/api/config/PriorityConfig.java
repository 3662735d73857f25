package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** One priority: its requests are shed while utilisation is at or above {@code shedAtUtilisation} percent (100: only when full). */
public record PriorityConfig(
        @JsonPropertyDescription("The priority's name, as the priority header carries it, e.g. critical, normal, low.")
        @Required @Size(max = 63)
        String name,
        @JsonPropertyDescription("Utilisation of the concurrency limit (percent, 1-100) from which requests of this priority are shed.")
        @Required @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer shedAtUtilisation) {
}
