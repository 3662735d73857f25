package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static dev.sluice.operator.jobs.JobFixtures.quota;
import static dev.sluice.operator.jobs.JobFixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Updates of Jobs by anyone but the operator: which are admission decisions, and what they decide. */
class UpdateDecisionTest {
    private static final QuotaRules QUEUE = quota("q").max(2).build();
    private static final QuotaRules REJECT = quota("q").max(2).reject().build();
    private static final JobView FIRST = job("w1").queuedAt(T0).annotation(JobMarks.QUEUED_BY, "q").build();
    private static final JobView HELD = job("w2").queuedAt(T0.plusSeconds(1)).annotation(JobMarks.QUEUED_BY, "q").build();
    private static final JobView LAST = job("w3").queuedAt(T0.plusSeconds(2)).annotation(JobMarks.QUEUED_BY, "q").build();
    private static final JobView MINE = job("mine").suspended().build();

    private static List<JobView> running(int count, JobView... others) {
        List<JobView> jobs = new ArrayList<>(IntStream.range(0, count).mapToObj(i -> job("run-" + i).build()).toList());
        jobs.addAll(List.of(others));
        return jobs;
    }

    private static UpdateDecision decide(JobView before, JobView after, QuotaRules quota, List<JobView> jobs, Ticket... tickets) {
        return AdmissionDecider.decideUpdate(before, after, List.of(quota), state(jobs, tickets), T0.plusSeconds(10));
    }

    /** The held Job as someone would write it back: {@code change} applied to a copy with its marks. */
    private static JobView held(java.util.function.Consumer<JobFixtures.JobBuilder> change) {
        JobFixtures.JobBuilder job = job("w2").queuedAt(T0.plusSeconds(1)).annotation(JobMarks.QUEUED_BY, "q");
        change.accept(job);
        return job.build();
    }

    @Test
    void unsuspendingAQueuedJobIsRefusedWithItsPlaceInTheQueue() {
        JobView unsuspended = new JobView("w2", "uid-w2", HELD.labels(), HELD.annotations(), false, false, null, T0, null);

        UpdateDecision decision = decide(HELD, unsuspended, QUEUE, running(2, LAST, HELD, FIRST));

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).isEqualTo("Job w2 is queued by JobQuota q: number 2 of 3 in its queue, with 2/2 selected Jobs running"
                + " in namespace team-a; the Sluice operator resumes it when its turn comes. While a Job is queued only the operator changes"
                + " its spec.suspend and Sluice's marks (this update changes spec.suspend); delete the Job to withdraw it");
    }

    @Test
    void removingOrEditingSluicesMarksOnAQueuedJobIsRefusedEvenWithRoom() {
        JobView unlabelled = new JobView("w2", "uid-w2", java.util.Map.of(), HELD.annotations(), true, false, null, T0, null);
        JobView earlier = held(job -> job.annotation(JobMarks.QUEUED_AT, "2000-01-01T00:00:00Z"));
        JobView toKueue = held(job -> job.label(JobMarks.KUEUE_QUEUE_NAME, "team-a"));

        assertThat(decide(HELD, unlabelled, QUEUE, running(0, HELD)).message()).contains("(this update changes label sluice.dev/queued)");
        assertThat(decide(HELD, earlier, QUEUE, running(0, HELD)).message()).contains("(this update changes annotation sluice.dev/queued-at)");
        assertThat(decide(HELD, toKueue, QUEUE, running(0, HELD)).message())
                .contains("(this update changes label kueue.x-k8s.io/queue-name)");
    }

    @Test
    void otherChangesToAQueuedJobAreLetThrough() {
        assertThat(decide(HELD, held(job -> job.label("team", "a").annotation("example.com/owner", "alice")), QUEUE, running(2, HELD))
                .outcome()).isEqualTo(Outcome.UNGOVERNED);
    }

    @Test
    void aQueuedJobNoEnforceQuotaGovernsAnyMoreIsItsOwnersAgain() {
        JobView unsuspended = new JobView("w2", "uid-w2", HELD.labels(), HELD.annotations(), false, false, null, T0, null);

        assertThat(decide(HELD, unsuspended, quota("q").max(2).dryRun().build(), running(2, HELD)).outcome()).isEqualTo(Outcome.UNGOVERNED);
    }

    @Test
    void unsuspendingAJobItsOwnerCreatedSuspendedIsAnAdmissionDecision() {
        JobView unsuspended = job("mine").build();

        assertThat(decide(MINE, unsuspended, QUEUE, running(1, MINE)).outcome()).isEqualTo(Outcome.ADMIT);
        UpdateDecision atTheLimit = decide(MINE, unsuspended, QUEUE, running(2, MINE));
        assertThat(atTheLimit.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(atTheLimit.message()).isEqualTo("Job mine may not run now: concurrent job limit reached (2/2) in namespace team-a (JobQuota q),"
                + " and it is not in the queue (0 Jobs queued); un-suspending a Job a JobQuota selects is an admission decision: retry after"
                + " a running Job finishes, or create it again without spec.suspend to wait in the queue");
        assertThat(decide(MINE, unsuspended, REJECT, running(2, MINE)).message())
                .endsWith("is an admission decision: retry after a running Job finishes");
    }

    @Test
    void anOwnerDoesNotUnsuspendAJobPastThoseQueuedBeforeIt() {
        UpdateDecision decision = decide(MINE, job("mine").build(), QUEUE, running(1, MINE, FIRST));

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).startsWith("Job mine may not run now: Jobs queued in namespace team-a go first (JobQuota q),"
                + " and it is not in the queue (1 Jobs queued)");
    }

    @Test
    void noOwnerUnsuspendsAJobWhileTheLedgerCannotBeRead() {
        UpdateDecision decision = decide(MINE, job("mine").build(), QUEUE, running(0, MINE), Ticket.unreadableLedger("not JSON", T0));

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).startsWith("Job mine may not run now: the admission ledger of namespace team-a");
    }

    @Test
    void kueueDecidesForTheJobsItManagesButAGovernedJobCannotBeHandedToItLater() {
        JobView kueueSuspended = job("k").label(JobMarks.KUEUE_QUEUE_NAME, "team-a").suspended().build();
        JobView kueueRunning = job("k").label(JobMarks.KUEUE_QUEUE_NAME, "team-a").build();
        JobView running = job("run").build();

        assertThat(decide(kueueSuspended, kueueRunning, QUEUE, running(2, kueueSuspended)).outcome()).isEqualTo(Outcome.UNGOVERNED);
        UpdateDecision handedOver = decide(running, kueueRunning, QUEUE, running(1, running));
        assertThat(handedOver.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(handedOver.message()).isEqualTo("Job k is governed by JobQuota q: label kueue.x-k8s.io/queue-name hands a Job to Kueue"
                + " only when the Job is created with it; added later, it would take the Job out of the quota's count");
    }

    @Test
    void suspendingAJobOrChangingOneNoQuotaSelectsIsLetThrough() {
        QuotaRules batch = quota("batch").max(1).selecting("team", "batch").build();
        JobView web = job("web").label("team", "web").suspended().build();

        assertThat(decide(job("run-0").build(), job("run-0").suspended().build(), QUEUE, running(2)).outcome()).isEqualTo(Outcome.UNGOVERNED);
        assertThat(decide(web, job("web").label("team", "web").build(), batch, running(0, job("b").label("team", "batch").build(), web))
                .outcome()).isEqualTo(Outcome.UNGOVERNED);
    }
}
