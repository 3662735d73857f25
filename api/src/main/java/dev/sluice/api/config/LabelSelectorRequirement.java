package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** A Kubernetes label selector requirement: {@code key}, {@code operator}, {@code values}. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@ValidationRule(value = "(self.operator == 'In' || self.operator == 'NotIn') == (has(self.values) && size(self.values) > 0)",
        message = "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist", fieldPath = ".values")
public record LabelSelectorRequirement(
        @JsonPropertyDescription("The label key.") @Required String key,
        @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.") @Required SelectorOperator operator,
        @JsonPropertyDescription("The label values, for In and NotIn.") List<String> values) {
    public LabelSelectorRequirement {
        values = values == null ? List.of() : List.copyOf(values);
    }
}
