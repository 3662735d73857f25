package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static dev.sluice.operator.jobs.JobFixtures.quota;
import static dev.sluice.operator.jobs.JobFixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Failure backoff, on a clock the test moves. */
class FailureBackoffTest {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final QuotaRules QUEUE = quota("nightly").max(10).backoff("run", FIVE_MINUTES).build();
    private static final QuotaRules REJECT = quota("nightly").max(10).reject().backoff("run", FIVE_MINUTES).build();
    private static final JobView RETRY = job("etl-2").label("run", "etl").build();

    private Clock clock = Clock.fixed(T0, ZoneOffset.UTC);

    private void advance(Duration duration) {
        clock = Clock.offset(clock, duration);
    }

    private static NamespaceState failedAt(Instant at) {
        return state(List.of(job("etl-1").label("run", "etl").failedAt(at).build()));
    }

    @Test
    void aRetryWithinThePeriodIsQueuedUntilThePeriodEnds() {
        advance(Duration.ofMinutes(1));

        CreateDecision decision = AdmissionDecider.decideCreate(RETRY, List.of(QUEUE), failedAt(T0), clock.instant());

        assertThat(decision.outcome()).isEqualTo(Outcome.QUEUE);
        assertThat(decision.notBefore()).isEqualTo(T0.plus(FIVE_MINUTES));
        assertThat(decision.message()).isEqualTo("a Job with run=etl failed 1m ago and the failure backoff is 5m (JobQuota nightly):"
                + " it may run in 4m; queued until 2026-01-01T10:05:00Z");
    }

    @Test
    void aRetryWithinThePeriodIsRefusedWithTheTimeItMayRunUnderReject() {
        advance(Duration.ofSeconds(90));

        CreateDecision decision = AdmissionDecider.decideCreate(RETRY, List.of(REJECT), failedAt(T0), clock.instant());

        assertThat(decision.outcome()).isEqualTo(Outcome.REFUSE);
        assertThat(decision.message()).isEqualTo("a Job with run=etl failed 1m30s ago and the failure backoff is 5m (JobQuota nightly):"
                + " it may run in 3m30s; retry after 2026-01-01T10:05:00Z");
    }

    @Test
    void afterThePeriodTheRetryRuns() {
        advance(FIVE_MINUTES);

        assertThat(AdmissionDecider.decideCreate(RETRY, List.of(REJECT), failedAt(T0), clock.instant()).outcome()).isEqualTo(Outcome.ADMIT);
    }

    @Test
    void theLastFailureOfTheKeyCounts() {
        NamespaceState state = state(List.of(
                job("etl-1").label("run", "etl").failedAt(T0).build(),
                job("etl-2").label("run", "etl").failedAt(T0.plus(Duration.ofMinutes(4))).build()));
        advance(Duration.ofMinutes(6));

        CreateDecision decision = AdmissionDecider.decideCreate(job("etl-3").label("run", "etl").build(), List.of(QUEUE), state, clock.instant());

        assertThat(decision.notBefore()).isEqualTo(T0.plus(Duration.ofMinutes(9)));
    }

    @Test
    void otherKeysAndJobsWithoutTheLabelAreNotHeld() {
        advance(Duration.ofMinutes(1));

        assertThat(AdmissionDecider.decideCreate(job("report").label("run", "report").build(), List.of(REJECT), failedAt(T0), clock.instant())
                .outcome()).isEqualTo(Outcome.ADMIT);
        assertThat(AdmissionDecider.decideCreate(job("adhoc").build(), List.of(REJECT), failedAt(T0), clock.instant()).outcome())
                .isEqualTo(Outcome.ADMIT);
    }

    @Test
    void aCompletedAttemptDoesNotHoldTheNextOne() {
        NamespaceState state = state(List.of(job("etl-1").label("run", "etl").completed().build()));

        assertThat(AdmissionDecider.decideCreate(RETRY, List.of(REJECT), state, clock.instant()).outcome()).isEqualTo(Outcome.ADMIT);
    }

    @Test
    void aHeldJobIsResumedOnlyOnceThePeriodEndsAndThePlanSaysWhenToLookAgain() {
        JobView held = job("etl-2").label("run", "etl").queuedAt(T0).annotation(JobMarks.NOT_BEFORE, T0.plus(FIVE_MINUTES).toString()).build();
        NamespaceState state = state(List.of(job("etl-1").label("run", "etl").failedAt(T0).build(), held));
        advance(Duration.ofMinutes(2));

        ResumePlan early = AdmissionDecider.planResumes(List.of(QUEUE), state, clock.instant());
        assertThat(early.resume()).isEmpty();
        assertThat(early.nextCheck()).isEqualTo(T0.plus(FIVE_MINUTES));

        advance(Duration.ofMinutes(3));
        assertThat(AdmissionDecider.planResumes(List.of(QUEUE), state, clock.instant()).resume())
                .extracting(resume -> resume.job().name()).containsExactly("etl-2");
    }

    @Test
    void aFailureAfterTheJobWasQueuedStillHoldsIt() {
        JobView queued = job("etl-2").label("run", "etl").queuedAt(T0).build();
        NamespaceState state = state(List.of(job("etl-1").label("run", "etl").failedAt(T0.plusSeconds(30)).build(), queued));
        advance(Duration.ofMinutes(1));

        ResumePlan plan = AdmissionDecider.planResumes(List.of(QUEUE), state, clock.instant());

        assertThat(plan.resume()).isEmpty();
        assertThat(plan.nextCheck()).isEqualTo(T0.plusSeconds(30).plus(FIVE_MINUTES));
    }

    @Test
    void aHeldJobDoesNotBlockTheOnesBehindIt() {
        JobView held = job("etl-2").label("run", "etl").queuedAt(T0).annotation(JobMarks.NOT_BEFORE, T0.plus(FIVE_MINUTES).toString()).build();
        JobView other = job("report").queuedAt(T0.plusSeconds(1)).build();
        NamespaceState state = state(List.of(job("etl-1").label("run", "etl").failedAt(T0).build(), held, other));

        assertThat(AdmissionDecider.planResumes(List.of(QUEUE), state, clock.instant().plusSeconds(2)).resume())
                .extracting(resume -> resume.job().name()).containsExactly("report");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(AdmissionDecider.human(Duration.ofSeconds(252))).isEqualTo("4m12s");
        assertThat(AdmissionDecider.human(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(AdmissionDecider.human(Duration.ofMillis(90))).isEqualTo("90ms");
        assertThat(AdmissionDecider.human(Duration.ofSeconds(-3))).isEqualTo("0ms");
    }
}
