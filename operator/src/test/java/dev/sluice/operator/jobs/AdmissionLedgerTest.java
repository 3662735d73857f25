package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static dev.sluice.operator.jobs.JobFixtures.quota;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A ledger that cannot be read: the admissions it recorded are unknown, so nothing may be admitted
 * until every ticket it may have held has lapsed.
 */
class AdmissionLedgerTest {
    private static final JobView NEW = job("new").build();
    private static final QuotaRules QUEUE = quota("q").max(3).build();
    private static final QuotaRules REJECT = quota("q").max(3).reject().build();
    private static final String TICKET = "{\"id\":\"t1\",\"kind\":\"CREATE\",\"job\":\"in-flight\",\"named\":true,\"labels\":{},"
            + "\"issuedAt\":\"2026-01-01T10:00:00Z\",\"notBefore\":null}";
    /** Stored ledgers a person or a bug may leave behind; none of them says which admissions are in flight. */
    private static final List<String> UNREADABLE = List.of(
            "{not json",
            "",
            "null",
            "{\"tickets\":[]}",
            "[" + TICKET.replace("\"CREATE\"", "\"ADMIT\"") + "]",
            "[" + TICKET.replace("\"2026-01-01T10:00:00Z\"", "\"yesterday\"") + "]",
            "[" + TICKET.replace("\"issuedAt\":\"2026-01-01T10:00:00Z\",", "") + "]",
            "[" + TICKET.replace("\"id\":\"t1\",", "") + "]",
            "[" + TICKET.replace("2026-01-01T10:00:00Z", "2999-01-01T00:00:00Z") + "]");

    private static List<JobView> running(int count) {
        return IntStream.range(0, count).mapToObj(i -> job("run-" + i).build()).toList();
    }

    private static ConfigMap stored(String tickets) {
        return new ConfigMapBuilder().withNewMetadata().withName(AdmissionLedger.NAME).withNamespace("team-a").withResourceVersion("7").endMetadata()
                .addToData(AdmissionLedger.KEY, tickets).build();
    }

    /** The state a decision at {@code now} rests on, with the tickets of {@code read} that are still unsettled then. */
    private static NamespaceState state(List<JobView> jobs, AdmissionLedger.Read read, Instant now) {
        return new NamespaceState("team-a", jobs, read.tickets().stream().filter(ticket -> !ticket.settled(jobs, now)).toList());
    }

    private static AdmissionLedger.Read read(String tickets) {
        return AdmissionLedger.parse(stored(tickets), T0);
    }

    @Test
    void aNewJobIsNotAdmittedWhileTheLedgerCannotBeRead() {
        for (String tickets : UNREADABLE) {
            NamespaceState state = state(running(1), read(tickets), T0);

            assertThat(AdmissionDecider.decideCreate(NEW, List.of(QUEUE), state, T0).outcome()).as(tickets).isEqualTo(Outcome.QUEUE);
            CreateDecision refused = AdmissionDecider.decideCreate(NEW, List.of(REJECT), state, T0);
            assertThat(refused.outcome()).as(tickets).isEqualTo(Outcome.REFUSE);
            assertThat(refused.message()).as(tickets).isEqualTo("the admission ledger of namespace team-a (ConfigMap sluice-job-admissions)"
                    + " could not be read, so the Jobs it had just admitted are unknown; none is admitted before 2026-01-01T10:01:30Z,"
                    + " when they have all been stored or lapsed; retry then (JobQuota q)");
        }
    }

    @Test
    void noQueuedJobIsResumedWhileTheLedgerCannotBeReadAndTheNextLookIsWhenItsTicketsHaveLapsed() {
        List<JobView> jobs = List.of(job("run-0").build(), job("waiting").queuedAt(T0.minusSeconds(60)).build());
        for (String tickets : UNREADABLE) {
            ResumePlan plan = AdmissionDecider.planResumes(List.of(QUEUE), state(jobs, read(tickets), T0), T0);

            assertThat(plan.resume()).as(tickets).isEmpty();
            assertThat(plan.nextCheck()).as(tickets).isEqualTo(T0.plus(Ticket.TTL));
        }
    }

    @Test
    void onceTheTicketsItMayHaveHeldHaveLapsedJobsAreAdmittedAgain() {
        Instant later = T0.plus(Ticket.TTL);
        List<JobView> jobs = List.of(job("run-0").build(), job("waiting").queuedAt(T0.minusSeconds(60)).build());
        for (String tickets : UNREADABLE) {
            AdmissionLedger.Read read = read(tickets);

            assertThat(AdmissionDecider.planResumes(List.of(QUEUE), state(jobs, read, later), later).resume())
                    .as(tickets).extracting(resume -> resume.job().name()).containsExactly("waiting");
            assertThat(AdmissionDecider.decideCreate(NEW, List.of(REJECT), state(running(1), read, later), later).outcome())
                    .as(tickets).isEqualTo(Outcome.ADMIT);
        }
    }
}
