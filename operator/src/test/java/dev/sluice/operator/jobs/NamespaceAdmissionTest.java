package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamespaceAdmissionTest {
    @Test
    void aJobIsQueuedAfterEveryQueueingTheLedgerHoldsWhicheverReplicaTookIt() {
        Ticket queuedByAnotherReplica = new Ticket("t1", Ticket.Kind.QUEUE, "a", true, Map.of(), T0.plusMillis(5), null);
        Ticket admitted = new Ticket("t2", Ticket.Kind.CREATE, "b", true, Map.of(), T0.plusSeconds(1), null);

        assertThat(NamespaceAdmission.nextQueuedAt(List.of(), T0)).isEqualTo(T0);
        assertThat(NamespaceAdmission.nextQueuedAt(List.of(queuedByAnotherReplica, admitted), T0))
                .as("its clock runs ahead of ours").isEqualTo(T0.plusMillis(5).plusNanos(1000));
        assertThat(NamespaceAdmission.nextQueuedAt(List.of(queuedByAnotherReplica), T0.plusMillis(6))).isEqualTo(T0.plusMillis(6));
    }
}
