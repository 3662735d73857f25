package dev.sluice.operator.report;

import static dev.sluice.operator.report.Reports.answering;
import static dev.sluice.operator.report.Reports.report;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.RenderedResource;
import dev.sluice.operator.Pods;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The fold of the sidecars' reports into one resource's enforcement, every condition of it, as a pure function. */
class EnforcementTest {
    private static final String NS = "shop";
    private static final Instant NOW = Instant.parse("2026-11-28T03:00:00Z");
    private static final Instant LONG_AGO = NOW.minus(Duration.ofMinutes(10));
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final Enforcement.Subject API = new Enforcement.Subject("RateLimitPolicy", "api", 5, 1, 12);

    @Test
    void everySelectedPodEnforcingTheCurrentGenerationIsEnforced() {
        Enforcement enforcement = fold(API, pods("a", "b", "c"), Map.of(
                "a", answering("a", current()), "b", answering("b", current()), "c", answering("c", current())));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(true, "Enforced", "enforced by 3 of 3 selected pods at generation 5"));
        assertThat(enforcement.enforcingPods()).isEqualTo(3);
        assertThat(enforcement.podsWithSidecar()).isEqualTo(3);
        assertThat(enforcement.stalePodNames()).isEmpty();
        assertThat(enforcement.enforcedGeneration()).contains(5L);
    }

    @Test
    void podsOnAnOlderGenerationOrNotListingItOrNotReportingArePropagating() {
        Enforcement enforcement = fold(API, pods("a", "b", "c", "d"), Map.of(
                "a", answering("a", current()),
                "b", answering("b", report().enforcing("RateLimitPolicy", "api", 4).build()),
                "c", Reports.silent("c", current()),
                "d", answering("d", report().enforcing("RateLimitPolicy", "other", 5).build())));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(false, "Propagating",
                "1 of 4 pods enforce generation 5; waiting for b (generation 4), c (not reporting), d (does not list it)"));
        assertThat(enforcement.stalePodNames()).containsExactly("b", "c", "d");
        assertThat(enforcement.enforcedGeneration()).as("the lowest a reporting pod enforces; c's last report is not current").contains(4L);
        assertThat(enforcement.enforcingPods()).isEqualTo(1);
    }

    @Test
    void aRefusalOfTheDocumentCarryingTheCurrentGenerationQuotesTheSidecarsError() {
        SidecarReport refusing = report().enforcing("RateLimitPolicy", "api", 4)
                .refused(13L, "policies[0].rules[0].limits[0].period: '1 second' is not a duration", new RenderedResource("RateLimitPolicy", "api", 5L))
                .build();
        Enforcement enforcement = fold(API, pods("a", "b"), Map.of("a", answering("a", current()), "b", answering("b", refusing)));

        assertThat(enforcement.readiness().ready()).isFalse();
        assertThat(enforcement.readiness().reason()).isEqualTo("SidecarRejectedConfig");
        assertThat(enforcement.readiness().message()).isEqualTo("the sidecar of pod b refused the configuration carrying this generation:"
                + " policies[0].rules[0].limits[0].period: '1 second' is not a duration");
        assertThat(enforcement.stalePodNames()).containsExactly("b");
    }

    @Test
    void aRefusalBeforeTheResourcesCouldBeReadCountsWhenItIsOfTheCurrentDocument() {
        SidecarReport unreadable = report().enforcing("RateLimitPolicy", "api", 4).refused(12L, "line 3: mapping values are not allowed").build();
        SidecarReport olderRefused = report().enforcing("RateLimitPolicy", "api", 4).refused(11L, "old").build();

        assertThat(fold(API, pods("a"), Map.of("a", answering("a", unreadable))).readiness().reason()).isEqualTo("SidecarRejectedConfig");
        assertThat(fold(API, pods("a"), Map.of("a", answering("a", olderRefused))).readiness().reason())
                .as("a refusal of an older document: the pod waits for the current one").isEqualTo("Propagating");
    }

    @Test
    void aRefusedDocumentOfAnotherResourcesChangeDoesNotConcernOneAlreadyEnforced() {
        SidecarReport refusing = report().enforcing("RateLimitPolicy", "api", 5)
                .refused(13L, "broken", new RenderedResource("RateLimitPolicy", "api", 5L), new RenderedResource("RateLimitPolicy", "other", 3L)).build();

        assertThat(fold(API, pods("a"), Map.of("a", answering("a", refusing))).readiness().reason()).isEqualTo("Enforced");
    }

    @Test
    void selectedPodsWithoutTheSidecarAreNamed() {
        List<Pod> selected = List.of(Pods.pod(NS, "a").injected().ready(LONG_AGO).build(), Pods.pod(NS, "b").build(), Pods.pod(NS, "c").build());

        Enforcement enforcement = fold(API, selected, Map.of("a", answering("a", current())));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(false, "PodsWithoutSidecar",
                "2 of 3 selected pods have no sidecar: b, c"));
        assertThat(enforcement.podsWithSidecar()).isEqualTo(1);
        assertThat(enforcement.stalePodNames()).as("stale counts pods with a sidecar only").isEmpty();
    }

    @Test
    void aSidecarNotReadyYetIsNotWaitedFor() {
        List<Pod> selected = List.of(Pods.pod(NS, "a").injected().ready(LONG_AGO).build(), Pods.pod(NS, "surge").injected().build());

        Enforcement enforcement = fold(API, selected, Map.of("a", answering("a", current()),
                "surge", Reports.silent("surge", report().enforcing("RateLimitPolicy", "api", 4).build())));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(true, "Enforced",
                "enforced by 1 of 2 selected pods at generation 5 (1 starting)"));
        assertThat(enforcement.enforcingPods()).isEqualTo(1);
    }

    @Test
    void aSidecarReadyForLessThanThreeIntervalsIsGivenTimeToReportButNotCounted() {
        List<Pod> selected = List.of(Pods.pod(NS, "a").injected().ready(LONG_AGO).build(),
                Pods.pod(NS, "new").injected().ready(NOW.minusSeconds(5)).build(),
                Pods.pod(NS, "late").injected().ready(NOW.minusSeconds(7)).build());

        Enforcement enforcement = fold(API, selected, Map.of("a", answering("a", current()),
                "new", Reports.silent("new", null), "late", Reports.silent("late", null)));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(false, "Propagating",
                "1 of 3 pods enforce generation 5; waiting for late (not reporting)"));
        assertThat(enforcement.enforcingPods()).isEqualTo(1);
    }

    @Test
    void afterAnOperatorRestartPodsNotAskedYetEnforceWhatTheWrittenStatusSaid() {
        Enforcement.Subject enforcedBefore = new Enforcement.Subject("RateLimitPolicy", "api", 5, 1, 12, 5L);

        Enforcement enforcement = fold(enforcedBefore, pods("a", "b"), Map.of("b", Reports.pending("b")));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(true, "Enforced",
                "enforced by 2 of 2 selected pods at generation 5"));
        assertThat(enforcement.enforcingPods()).isEqualTo(2);
        assertThat(enforcement.enforcedGeneration()).contains(5L);
    }

    @Test
    void aGenerationThatMovedWhileNoOperatorLookedIsWaitedFor() {
        Enforcement.Subject olderBefore = new Enforcement.Subject("RateLimitPolicy", "api", 5, 1, 12, 4L);

        Enforcement enforcement = fold(olderBefore, pods("a", "b"), Map.of("b", Reports.pending("b")));

        assertThat(enforcement.readiness()).isEqualTo(new Enforcement.Readiness(false, "Propagating",
                "0 of 2 pods enforce generation 5; waiting for a (not asked yet), b (not asked yet)"));
        assertThat(enforcement.enforcedGeneration()).isEmpty();
        assertThat(fold(API, pods("a", "b"), Map.of()).readiness().reason()).as("a status that says nothing of enforcement")
                .isEqualTo("Propagating");
    }

    @Test
    void noPodSelectedIsReady() {
        Enforcement enforcement = fold(API, List.of(), Map.of());

        assertThat(enforcement.readiness().reason()).isEqualTo("NoPodsSelected");
        assertThat(enforcement.ready(5L, List.of()).getMessage()).isEqualTo("rendered into ConfigMap sluice-config; no pod selected");
        assertThat(enforcement.enforcedGeneration()).isEmpty();
    }

    @Test
    void fieldsNotEnforcedAsWrittenMakeReadyPartiallyEnforced() {
        Enforcement enforcement = fold(API, pods("a"), Map.of("a", answering("a", current())));

        assertThat(enforcement.ready(5L, List.of("spec.scope: Global needs a Redis")).getReason()).isEqualTo("PartiallyEnforced");
        assertThat(enforcement.ready(5L, List.of("spec.scope: Global needs a Redis")).getMessage())
                .isEqualTo("enforced by 1 of 1 selected pods at generation 5; not enforced as written: spec.scope: Global needs a Redis");
    }

    @Test
    void refusalsComeBeforeMissingSidecarsWhichComeBeforePropagation() {
        List<Pod> selected = List.of(Pods.pod(NS, "a").injected().ready(LONG_AGO).build(), Pods.pod(NS, "b").injected().ready(LONG_AGO).build(),
                Pods.pod(NS, "plain").build());
        SidecarReport refusing = report().refused(12L, "bad").build();

        assertThat(fold(API, selected, Map.of("a", answering("a", refusing), "b", Reports.silent("b", current()))).readiness().reason())
                .isEqualTo("SidecarRejectedConfig");
        assertThat(fold(API, selected, Map.of("a", answering("a", current()), "b", Reports.silent("b", current()))).readiness().reason())
                .isEqualTo("PodsWithoutSidecar");
    }

    @Test
    void oldSidecarsAndLongListsAreNamedUpToFive() {
        List<String> names = IntStream.range(0, 7).mapToObj(i -> "p" + i).toList();
        Map<String, PodSnapshot> reports = new HashMap<>();
        names.forEach(name -> reports.put(name, answering(name, report().sidecar("0.0.9", 0).enforcing("RateLimitPolicy", "api", 4).build())));
        Enforcement.Subject newer = new Enforcement.Subject("RateLimitPolicy", "api", 5, 1, 12);

        Enforcement enforcement = fold(newer, pods(names.toArray(String[]::new)), reports);

        assertThat(enforcement.readiness().message()).endsWith("p3 (generation 4), p4 (generation 4) and 2 more");
        assertThat(enforcement.stalePodNames()).hasSize(7);
        assertThat(enforcement.oldSidecars()).hasSize(7).first().isEqualTo("p0 (sidecar 0.0.9, document version 0)");
        var status = enforcement.applyTo(new dev.sluice.api.v1alpha1.ResourceStatus(5L, List.of(), 7, "sluice-config", List.of(), List.of()),
                null, false);
        assertThat(status.stalePods()).isEqualTo(7);
        assertThat(status.stalePodNames()).containsExactly("p0", "p1", "p2", "p3", "p4");
        assertThat(status.oldSidecars()).hasSize(5);
        assertThat(status.enforcing()).isEqualTo("0/7");
    }

    @Test
    void aBreakersOpenCircuitsAreThePodsReportingItOpen() {
        Enforcement.Subject backend = new Enforcement.Subject("CircuitBreaker", "backend", 2, 1, 12);
        SidecarReport open = report().enforcing("CircuitBreaker", "backend", 2).breaker("backend", "open").breaker("other", "closed").build();
        SidecarReport halfOpen = report().enforcing("CircuitBreaker", "backend", 2).breaker("backend", "half_open").build();

        Enforcement enforcement = fold(backend, pods("a", "b", "c"), Map.of("a", answering("a", open), "b", answering("b", halfOpen),
                "c", answering("c", open)));

        assertThat(enforcement.openCircuitPods()).containsExactly("a", "c");
        var status = enforcement.applyTo(new dev.sluice.api.v1alpha1.ResourceStatus(2L, List.of(), 3, "sluice-config", List.of(), List.of()),
                null, true);
        assertThat(status.openCircuits()).isEqualTo(2);
        assertThat(status.openCircuitPods()).containsExactly("a", "c");
        assertThat(status.rules()).isEmpty();
    }

    private static SidecarReport current() {
        return report().enforcing("RateLimitPolicy", "api", 5).documentGeneration(12).build();
    }

    private static List<Pod> pods(String... names) {
        return java.util.Arrays.stream(names).map(name -> Pods.pod(NS, name).injected().ready(LONG_AGO).build()).toList();
    }

    private static Enforcement fold(Enforcement.Subject subject, List<Pod> selected, Map<String, PodSnapshot> reports) {
        return Enforcement.fold(subject, selected, reports, NOW, INTERVAL);
    }
}
