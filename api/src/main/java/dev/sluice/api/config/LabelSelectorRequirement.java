package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** A Kubernetes label selector requirement: {@code key}, {@code operator}, {@code values}. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record LabelSelectorRequirement(String key, SelectorOperator operator, List<String> values) {
    public LabelSelectorRequirement {
        values = values == null ? List.of() : List.copyOf(values);
    }
}
