package dev.sluice.operator.jobs;

import static dev.sluice.operator.jobs.JobFixtures.T0;
import static dev.sluice.operator.jobs.JobFixtures.job;
import static dev.sluice.operator.jobs.JobFixtures.quota;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class QueueOrderTest {
    @Test
    void fifoFollowsTheTimeSluiceQueuedEachJobNotItsName() {
        List<JobView> jobs = List.of(
                job("a").queuedAt(T0.plusMillis(3)).build(),
                job("b").queuedAt(T0.plusNanos(1000)).build(),
                job("c").queuedAt(T0).build());

        assertThat(jobs.stream().sorted(QueueOrder.of(quota("q").build())).map(JobView::name)).containsExactly("c", "b", "a");
    }

    @Test
    void fifoTiesAreBrokenByNameSoThatEveryReplicaAgrees() {
        List<JobView> jobs = List.of(job("b").queuedAt(T0).build(), job("a").queuedAt(T0).build());

        assertThat(jobs.stream().sorted(QueueOrder.of(quota("q").build())).map(JobView::name)).containsExactly("a", "b");
    }

    @Test
    void aJobWithoutQueuedAtFallsBackToItsCreationTime() {
        JobView early = job("early").suspended().label(JobMarks.QUEUED_LABEL, "true").createdAt(T0.minusSeconds(60)).build();
        JobView late = job("late").queuedAt(T0).build();

        assertThat(List.of(late, early).stream().sorted(QueueOrder.of(quota("q").build())).map(JobView::name))
                .containsExactly("early", "late");
    }

    @Test
    void priorityOrderTakesTheHighestFirstAndFifoAmongEquals() {
        QuotaRules byLabel = quota("q").priority("prio").build();
        List<JobView> jobs = List.of(
                job("low").label("prio", "1").queuedAt(T0).build(),
                job("high-late").label("prio", "100").queuedAt(T0.plusSeconds(2)).build(),
                job("high-early").label("prio", "100").queuedAt(T0.plusSeconds(1)).build(),
                job("none").queuedAt(T0.minusSeconds(5)).build(),
                job("negative").label("prio", "-5").queuedAt(T0.minusSeconds(10)).build());

        assertThat(jobs.stream().sorted(QueueOrder.of(byLabel)).map(JobView::name))
                .containsExactly("high-early", "high-late", "low", "none", "negative");
    }

    @Test
    void withoutPriorityLabelThePriorityResolvedFromThePriorityClassCounts() {
        QuotaRules byClass = quota("q").priority(null).build();
        List<JobView> jobs = List.of(
                job("default").queuedAt(T0).build(),
                job("critical").annotation(JobMarks.PRIORITY, "1000000").queuedAt(T0.plusSeconds(1)).build());

        assertThat(jobs.stream().sorted(QueueOrder.of(byClass)).map(JobView::name)).containsExactly("critical", "default");
    }

    @Test
    void anUnreadablePriorityCountsAsZero() {
        assertThat(QueueOrder.priority(job("x").label("prio", "high").build(), quota("q").priority("prio").build())).isZero();
    }
}
