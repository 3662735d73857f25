package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class EnforcedNamespacesTest {
    @Test
    void namespacesWithAQuotaGetTheLabelAndTheOthersLoseIt() {
        EnforcedNamespaces.Changes changes = EnforcedNamespaces.changes(Set.of("a", "b"), Set.of("b", "c"), Set.of());

        assertThat(changes.label()).containsExactly("a");
        assertThat(changes.unlabel()).containsExactly("c");
    }

    @Test
    void aNamespaceTheOperatorDoesNotWatchKeepsItsLabel() {
        EnforcedNamespaces.Changes changes = EnforcedNamespaces.changes(Set.of("a"), Set.of("c", "d"), Set.of("a", "c"));

        assertThat(changes.label()).containsExactly("a");
        assertThat(changes.unlabel()).containsExactly("c");
    }

    @Test
    void nothingChangesWhenTheLabelsAreAsWanted() {
        EnforcedNamespaces.Changes changes = EnforcedNamespaces.changes(Set.of("a"), Set.of("a"), Set.of());

        assertThat(changes.label()).isEmpty();
        assertThat(changes.unlabel()).isEmpty();
    }
}
