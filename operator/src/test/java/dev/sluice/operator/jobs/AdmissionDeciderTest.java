package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static dev.sluice.operator.jobs.JobFixtures.quota;
import static dev.sluice.operator.jobs.JobFixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AdmissionDeciderTest {
    private static final JobView NEW = job("new").build();

    private static List<JobView> running(int count) {
        return IntStream.range(0, count).mapToObj(i -> job("run-" + i).build()).toList();
    }

    @Test
    void aJobUnderTheLimitIsAdmitted() {
        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(running(2)), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.ADMIT);
        assertThat(decision.quotas()).containsExactly("q");
    }

    @Test
    void atTheLimitAQueueQuotaQueuesTheJob() {
        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(running(3)), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.QUEUE);
        assertThat(decision.message()).isEqualTo(
                "concurrent job limit reached (3/3) in namespace team-a; queued until a running Job finishes (JobQuota q)");
        assertThat(decision.notBefore()).isNull();
    }

    @Test
    void atTheLimitARejectQuotaRefusesWithTheLimitAndTheNamespace() {
        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(10).reject().build()), state(running(10)), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).isEqualTo(
                "concurrent job limit reached (10/10) in namespace team-a; retry after a running Job finishes (JobQuota q)");
    }

    @Test
    void suspendedAndFinishedJobsDoNotCount() {
        List<JobView> jobs = new ArrayList<>(running(2));
        jobs.add(job("done").completed().build());
        jobs.add(job("failed").failedAt(T0).build());
        jobs.add(job("users-own").suspended().build());

        assertThat(AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(jobs), T0).outcome()).isEqualTo(Outcome.ADMIT);
    }

    @Test
    void admissionsTheApiServerDoesNotShowYetCount() {
        Ticket inFlight = new Ticket("t1", Ticket.Kind.CREATE, "other", false, Map.of(), T0, null);

        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(running(2), inFlight), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.QUEUE);
    }

    @Test
    void aNewJobDoesNotOvertakeAQueuedOneThatMayRun() {
        List<JobView> jobs = new ArrayList<>(running(1));
        jobs.add(job("waiting").queuedAt(T0.minusSeconds(1)).build());

        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(jobs), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.QUEUE);
        assertThat(decision.message()).isEqualTo("queued behind Jobs already waiting in namespace team-a (JobQuota q)");
    }

    @Test
    void aQueuedJobNotYetVisibleAlsoKeepsItsPlace() {
        Ticket queued = new Ticket("t1", Ticket.Kind.QUEUE, "earlier", false, Map.of(), T0, null);

        assertThat(AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(3).build()), state(running(0), queued), T0).outcome())
                .isEqualTo(Outcome.QUEUE);
    }

    @Test
    void aFullQueueRefuses() {
        List<JobView> jobs = new ArrayList<>(running(2));
        jobs.add(job("w1").queuedAt(T0).build());
        jobs.add(job("w2").queuedAt(T0).build());

        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(2).maxQueued(2).build()), state(jobs), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).isEqualTo(
                "job queue full (2/2 queued) in namespace team-a; retry after queued Jobs have run (JobQuota q)");
    }

    @Test
    void jobsTheSelectorLeavesOutAreNotGoverned() {
        QuotaRules batch = quota("batch").max(1).selecting("team", "batch").build();

        CreateDecision decision = AdmissionDecider.decideCreate(job("web").label("team", "web").build(), List.of(batch),
                state(List.of(job("b").label("team", "batch").build())), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.UNGOVERNED);
    }

    @Test
    void onlyJobsTheSelectorPicksAreCounted() {
        QuotaRules batch = quota("batch").max(1).selecting("team", "batch").build();

        CreateDecision decision = AdmissionDecider.decideCreate(job("b2").label("team", "batch").build(), List.of(batch),
                state(List.of(job("w").label("team", "web").build())), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.ADMIT);
    }

    @Test
    void everyQuotaSelectingTheJobMustHaveRoom() {
        QuotaRules all = quota("all").max(10).build();
        QuotaRules batch = quota("batch").max(1).selecting("team", "batch").reject().build();
        List<JobView> jobs = List.of(job("b1").label("team", "batch").build());

        CreateDecision decision = AdmissionDecider.decideCreate(job("b2").label("team", "batch").build(), List.of(all, batch), state(jobs), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.quotas()).containsExactly("batch");
    }

    @Test
    void aDryRunQuotaChangesNothingButReportsWhatItWouldDo() {
        CreateDecision decision = AdmissionDecider.decideCreate(NEW, List.of(quota("q").max(2).reject().dryRun().build()), state(running(2)), T0);

        assertThat(decision.outcome()).isEqualTo(Outcome.UNGOVERNED);
        assertThat(decision.dryRun()).singleElement().satisfies(finding -> {
            assertThat(finding.quota()).isEqualTo("q");
            assertThat(finding.outcome()).isEqualTo(Outcome.REFUSE);
            assertThat(finding.message()).startsWith("concurrent job limit reached (2/2)");
        });
    }

    @Test
    void resumesQueuedJobsInOrderWhileThereIsRoom() {
        List<JobView> jobs = new ArrayList<>(running(3));
        jobs.add(job("third").queuedAt(T0.plusSeconds(3)).build());
        jobs.add(job("first").queuedAt(T0.plusSeconds(1)).build());
        jobs.add(job("second").queuedAt(T0.plusSeconds(2)).build());

        ResumePlan plan = AdmissionDecider.planResumes(List.of(quota("q").max(5).build()), state(jobs), T0.plusSeconds(10));

        assertThat(plan.resume()).extracting(resume -> resume.job().name()).containsExactly("first", "second");
        assertThat(plan.resume().get(0).quotas()).containsExactly("q");
    }

    @Test
    void resumesNothingAtTheLimitCountingResumesTheApiServerDoesNotShowYet() {
        List<JobView> jobs = new ArrayList<>(running(4));
        jobs.add(job("waiting").queuedAt(T0).build());
        Ticket resuming = new Ticket("uid-other", Ticket.Kind.RESUME, "other", false, Map.of(), T0, null);

        assertThat(AdmissionDecider.planResumes(List.of(quota("q").max(5).build()), state(jobs, resuming), T0).resume()).isEmpty();
    }

    @Test
    void resumesByPriority() {
        List<JobView> jobs = List.of(
                job("low").label("prio", "1").queuedAt(T0).build(),
                job("high").label("prio", "9").queuedAt(T0.plusSeconds(5)).build());

        ResumePlan plan = AdmissionDecider.planResumes(List.of(quota("q").max(1).priority("prio").build()), state(jobs), T0.plusSeconds(10));

        assertThat(plan.resume()).extracting(resume -> resume.job().name()).containsExactly("high");
    }

    @Test
    void releasesHeldJobsThatNoEnforceQuotaSelectsAnyMore() {
        List<JobView> jobs = new ArrayList<>(running(5));
        jobs.add(job("held").queuedAt(T0).build());

        ResumePlan plan = AdmissionDecider.planResumes(List.of(quota("q").max(5).dryRun().build()), state(jobs), T0);

        assertThat(plan.resume()).singleElement().satisfies(resume -> {
            assertThat(resume.job().name()).isEqualTo("held");
            assertThat(resume.quotas()).isEmpty();
        });
    }

    @Test
    void aJobBlockedByAnotherQuotaDoesNotBlockTheRestOfTheQueue() {
        QuotaRules all = quota("all").max(10).build();
        QuotaRules gpu = quota("gpu").max(1).selecting("gpu", "true").build();
        List<JobView> jobs = List.of(
                job("gpu-running").label("gpu", "true").build(),
                job("gpu-waiting").label("gpu", "true").queuedAt(T0).build(),
                job("cpu-waiting").queuedAt(T0.plusSeconds(1)).build());

        ResumePlan plan = AdmissionDecider.planResumes(List.of(all, gpu), state(jobs), T0.plusSeconds(5));

        assertThat(plan.resume()).extracting(resume -> resume.job().name()).containsExactly("cpu-waiting");
    }

    @Test
    void aQueuedJobRelabelledOutOfItsQuotaStaysInItsQueue() {
        QuotaRules batch = quota("batch").max(1).selecting("team", "batch").build();
        List<JobView> jobs = List.of(job("b1").label("team", "batch").build(),
                job("moved").label("team", "web").queuedAt(T0).annotation(JobMarks.QUEUED_BY, "batch").build());

        assertThat(AdmissionDecider.planResumes(List.of(batch), state(jobs), T0.plusSeconds(1)).resume()).isEmpty();
        assertThat(AdmissionDecider.planResumes(List.of(batch), state(List.of(jobs.get(1))), T0.plusSeconds(1)).resume())
                .extracting(resume -> resume.job().name()).containsExactly("moved");
    }

    @Test
    void aJobKueueManagesIsNeitherHeldNorCounted() {
        QuotaRules all = quota("all").max(1).build();
        JobView kueue = job("kueue").label("kueue.x-k8s.io/queue-name", "team-a").build();

        assertThat(AdmissionDecider.decideCreate(kueue, List.of(all), state(running(1)), T0).outcome()).isEqualTo(Outcome.UNGOVERNED);
        assertThat(AdmissionDecider.decideCreate(NEW, List.of(all), state(List.of(kueue)), T0).outcome()).isEqualTo(Outcome.ADMIT);
    }
}
