package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TicketTest {
    @Test
    void aCreateTicketSettlesWhenItsJobIsListedOrItLapses() {
        Ticket ticket = new Ticket("t1", Ticket.Kind.CREATE, "a", false, Map.of(), T0, null);

        assertThat(ticket.settled(List.of(job("other").build()), T0.plusSeconds(1))).isFalse();
        assertThat(ticket.settled(List.of(job("a").annotation(JobMarks.TICKET, "t1").build()), T0.plusSeconds(1))).isTrue();
        assertThat(ticket.settled(List.of(), T0.plus(Ticket.TTL))).isTrue();
    }

    @Test
    void aTicketForANamedJobSettlesOnceAJobOfThatNameExists() {
        Ticket ticket = new Ticket("t1", Ticket.Kind.CREATE, "a", true, Map.of(), T0, null);

        assertThat(ticket.settled(List.of(job("a").annotation(JobMarks.TICKET, "retried").build()), T0)).isTrue();
    }

    @Test
    void aResumeTicketSettlesWhenItsJobRunsFinishedOrIsGone() {
        Ticket ticket = new Ticket("uid-a", Ticket.Kind.RESUME, "a", false, Map.of(), T0, null);

        assertThat(ticket.settled(List.of(job("a").queuedAt(T0).build()), T0)).isFalse();
        assertThat(ticket.settled(List.of(job("a").build()), T0)).isTrue();
        assertThat(ticket.settled(List.of(job("a").suspended().completed().build()), T0)).isTrue();
        assertThat(ticket.settled(List.of(), T0)).isTrue();
    }

    @Test
    void theTicketForAnUnreadableLedgerCountsNoJobAndSettlesOnlyWhenItLapses() {
        Ticket ticket = Ticket.unreadableLedger("tickets.json is not a list of tickets", T0);

        assertThat(ticket.activates()).isFalse();
        assertThat(ticket.settled(List.of(job("a").annotation(JobMarks.TICKET, ticket.id()).build()), T0.plusSeconds(1))).isFalse();
        assertThat(ticket.settled(List.of(), T0.plus(Ticket.TTL))).isTrue();
    }
}
