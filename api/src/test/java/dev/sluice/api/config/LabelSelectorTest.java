package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
    private static final Map<String, String> POD = Map.of("app", "web", "tier", "frontend");

    @Test
    void emptySelectsEverything() {
        assertThat(LabelSelector.everything().matches(POD)).isTrue();
        assertThat(LabelSelector.everything().matches(Map.of())).isTrue();
    }

    @Test
    void matchLabelsMustAllHold() {
        assertThat(new LabelSelector(Map.of("app", "web"), null).matches(POD)).isTrue();
        assertThat(new LabelSelector(Map.of("app", "web", "tier", "backend"), null).matches(POD)).isFalse();
    }

    @Test
    void expressions() {
        assertThat(select(SelectorOperator.In, "app", "web", "api").matches(POD)).isTrue();
        assertThat(select(SelectorOperator.In, "app", "api").matches(POD)).isFalse();
        assertThat(select(SelectorOperator.NotIn, "app", "api").matches(POD)).isTrue();
        assertThat(select(SelectorOperator.NotIn, "missing", "x").matches(POD)).isTrue();
        assertThat(select(SelectorOperator.Exists, "tier").matches(POD)).isTrue();
        assertThat(select(SelectorOperator.DoesNotExist, "tier").matches(POD)).isFalse();
    }

    private static LabelSelector select(SelectorOperator operator, String key, String... values) {
        return new LabelSelector(null, List.of(new LabelSelectorRequirement(key, operator, List.of(values))));
    }
}
