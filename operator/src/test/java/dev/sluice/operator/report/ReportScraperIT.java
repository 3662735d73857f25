package dev.sluice.operator.report;

import static dev.sluice.operator.FakeSidecar.breaker;
import static dev.sluice.operator.FakeSidecar.report;
import static dev.sluice.operator.FakeSidecar.resource;
import static dev.sluice.operator.FakeSidecar.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.operator.FakeSidecar;
import dev.sluice.operator.MovableClock;
import dev.sluice.operator.Pods;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scraper against real local HTTP servers that serve the contract's report JSON, one per pod on its own loopback
 * address, with a clock the test moves: what it stores, when it reconciles a namespace, what it forgets and counts.
 */
class ReportScraperIT {
    private static final String NS = "shop";
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final String API_4 = resource("RateLimitPolicy", "api", 4);

    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-28T03:00:00Z"));
    private final List<FakeSidecar> sidecars = new ArrayList<>();
    private final Map<String, URI> uris = new ConcurrentHashMap<>();
    private final List<Pod> pods = new CopyOnWriteArrayList<>();
    private final List<String> fired = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReportStore store = new ReportStore(INTERVAL.multipliedBy(3));
    private final Map<String, Long> rendered = new HashMap<>();
    private ReportScraper scraper;

    @AfterEach
    void stop() {
        if (scraper != null) {
            scraper.close();
        }
        sidecars.forEach(FakeSidecar::close);
    }

    @Test
    void aRoundStoresEachPodsReportAndReconcilesTheNamespaceOnlyWhenAConditionMayChange() {
        FakeSidecar a = sidecar("a", "127.0.0.2").answer(report(7, API_4, rule("api", "burst", 100, 5), "", null));
        FakeSidecar b = sidecar("b", "127.0.0.3").answer(report(7, API_4, "", "", null));
        ReportScraper scraper = scraper();

        scraper.round();

        Map<String, PodSnapshot> known = store.namespace(NS, clock.instant());
        assertThat(known.get("a").reporting()).isEqualTo(PodSnapshot.Reporting.ANSWERING);
        assertThat(known.get("a").report().enforced("RateLimitPolicy", "api")).contains(4L);
        assertThat(known.get("a").report().rules()).singleElement().satisfies(counters -> assertThat(counters.requests()).isEqualTo(100));
        assertThat(fired).as("the first reports of the namespace").containsExactly(NS);
        assertThat(a.requests()).isEqualTo(1);
        assertThat(b.requests()).isEqualTo(1);

        clock.advance(INTERVAL);
        scraper.round();
        assertThat(fired).as("nothing changed").hasSize(1);

        b.answer(report(8, resource("RateLimitPolicy", "api", 5), "", "", null));
        clock.advance(INTERVAL);
        scraper.round();
        assertThat(fired).as("b enforces a new generation").hasSize(2);

        assertThat(registry.get("sluice_sidecar_reports").tag("result", "ok").counter().count()).isEqualTo(6);
        assertThat(registry.get("sluice_report_round").timer().count()).isEqualTo(3);
    }

    @Test
    void countersAloneReconcileAtMostOncePerTenSeconds() {
        FakeSidecar a = sidecar("a", "127.0.0.2").answer(report(7, API_4, rule("api", "burst", 100, 5), "", null));
        ReportScraper scraper = scraper();
        scraper.round();
        int afterFirst = fired.size();

        for (int i = 1; i <= 5; i++) {
            a.answer(report(7, API_4, rule("api", "burst", 100 + i * 10, 5), "", null));
            clock.advance(INTERVAL);
            scraper.round();
        }

        assertThat(fired.size() - afterFirst).as("counters moved at 2, 4, 6, 8 and 10 s: once at 10 s").isEqualTo(1);
    }

    @Test
    void aCircuitOpeningOrARefusalReconcilesAtOnce() {
        FakeSidecar a = sidecar("a", "127.0.0.2").answer(report(7, API_4, "", breaker("backend", "closed"), null));
        ReportScraper scraper = scraper();
        scraper.round();

        a.answer(report(7, API_4, "", breaker("backend", "open"), null));
        clock.advance(INTERVAL);
        scraper.round();
        a.answer(report(7, API_4, "", breaker("backend", "open"),
                "{\"at\":\"2026-11-28T03:00:05Z\",\"generation\":8,\"message\":\"policies[0]: bad\",\"resources\":[]}"));
        clock.advance(INTERVAL);
        scraper.round();

        assertThat(fired).hasSize(3);
        assertThat(store.namespace(NS, clock.instant()).get("a").report().refused().message()).isEqualTo("policies[0]: bad");
    }

    @Test
    void aSidecarThatStopsAnsweringIsNotReportingAfterThreeIntervalsAndErrorsAreCounted() {
        FakeSidecar a = sidecar("a", "127.0.0.2").answer(report(7, API_4, "", "", null));
        ReportScraper scraper = scraper();
        scraper.round();

        a.failWith(503);
        for (int i = 0; i < 3; i++) {
            clock.advance(INTERVAL);
            scraper.round();
            assertThat(store.namespace(NS, clock.instant()).get("a").reporting()).isEqualTo(PodSnapshot.Reporting.ANSWERING);
        }
        clock.advance(INTERVAL);
        scraper.round();

        assertThat(store.namespace(NS, clock.instant()).get("a").reporting()).isEqualTo(PodSnapshot.Reporting.SILENT);
        assertThat(fired).as("first reports, then not reporting").hasSize(2);
        assertThat(registry.get("sluice_sidecar_reports").tag("result", "error").counter().count()).isEqualTo(4);
        rendered.put(NS, 7L);
        scraper.round();
        assertThat(registry.get("sluice_sidecars_stale").tag("namespace", NS).gauge().value()).isEqualTo(1);
    }

    @Test
    void aPodThatNeverAnswersIsPendingForThreeIntervalsThenNotReporting() {
        Pod silent = Pods.pod(NS, "silent").injected().ready(clock.instant()).ip("127.0.0.9").build();
        pods.add(silent);
        uris.put("silent", URI.create("http://127.0.0.9:1/report"));
        ReportScraper scraper = scraper();

        scraper.round();
        assertThat(store.namespace(NS, clock.instant()).get("silent").reporting()).isEqualTo(PodSnapshot.Reporting.PENDING);
        clock.advance(INTERVAL.multipliedBy(3));
        scraper.round();
        assertThat(store.namespace(NS, clock.instant()).get("silent").reporting()).isEqualTo(PodSnapshot.Reporting.SILENT);
    }

    @Test
    void deletedPodsAreForgottenAndPodsWithoutSidecarOrIpAreNotAsked() {
        sidecar("a", "127.0.0.2").answer(report(7, API_4, "", "", null));
        FakeSidecar b = sidecar("b", "127.0.0.3").answer(report(7, API_4, "", "", null));
        pods.add(Pods.pod(NS, "plain").ip("127.0.0.4").build());
        pods.add(Pods.pod(NS, "no-ip").injected().build());
        ReportScraper scraper = scraper();
        scraper.round();
        assertThat(store.namespace(NS, clock.instant())).containsOnlyKeys("a", "b");

        pods.removeIf(pod -> pod.getMetadata().getName().equals("b"));
        clock.advance(INTERVAL);
        scraper.round();

        assertThat(store.namespace(NS, clock.instant())).containsOnlyKeys("a");
        assertThat(b.requests()).isEqualTo(1);
    }

    @Test
    void atMostSixtyFourRequestsAreInFlight() {
        FakeSidecar.InFlight inFlight = new FakeSidecar.InFlight();
        AtomicInteger most = inFlight.most();
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 80; i++) {
            FakeSidecar sidecar = FakeSidecar.on("127.0.1." + (i + 1), inFlight).answer(report(7, API_4, "", "", null)).holdUntil(release);
            sidecars.add(sidecar);
            String name = "p" + i;
            uris.put(name, sidecar.uri());
            pods.add(Pods.pod(NS, name).injected().ready(clock.instant()).ip("127.0.1." + (i + 1)).build());
        }
        // Requests held for as long as the test needs: a timeout would free a permit while its sidecar still holds the request.
        scraper = new ReportScraper(() -> pods, store, INTERVAL, clock, pod -> uris.get(pod.getMetadata().getName()), triggers(), rendered,
                registry, Duration.ofMinutes(5));
        Thread round = new Thread(scraper::round);
        round.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> most.get() >= ReportScraper.IN_FLIGHT || !round.isAlive());
        release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> !round.isAlive());

        assertThat(most.get()).as("requests held by the sidecars at once").isEqualTo(ReportScraper.IN_FLIGHT);
        assertThat(store.namespace(NS, clock.instant())).hasSize(80);
    }

    @Test
    void aChangedConfigMapHasItsNamespaceAskedAgainWithinASecondButNotThePodsThatHaveItAlready() {
        FakeSidecar a = sidecar("a", "127.0.0.2").answer(report(7, API_4, "", "", null));
        FakeSidecar b = sidecar("b", "127.0.0.3").answer(report(8, API_4, "", "", null));
        Pod other = Pods.pod("other", "x").injected().ready(clock.instant()).ip("127.0.0.5").build();
        FakeSidecar x = FakeSidecar.on("127.0.0.5").answer(report(1, "", "", "", null));
        sidecars.add(x);
        uris.put("x", x.uri());
        pods.add(other);
        ReportScraper scraper = new ReportScraper(() -> pods, store, Duration.ofHours(1), clock, pod -> uris.get(pod.getMetadata().getName()),
                triggers(), rendered, registry);
        this.scraper = scraper;
        scraper.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> a.requests() == 1 && b.requests() == 1 && x.requests() == 1);

        scraper.configWritten(NS, 8);

        await().atMost(Duration.ofSeconds(30)).until(() -> a.requests() == 1 + ReportScraper.AFTER_A_WRITE.size());
        assertThat(b.requests()).as("a pod that reported document 8 already").isEqualTo(1);
        assertThat(x.requests()).as("another namespace waits for its round").isEqualTo(1);
    }

    private FakeSidecar sidecar(String pod, String address) {
        FakeSidecar sidecar = FakeSidecar.on(address);
        sidecars.add(sidecar);
        uris.put(pod, sidecar.uri());
        pods.add(Pods.pod(NS, pod).injected().ready(clock.instant()).ip(address).build());
        return sidecar;
    }

    private ReportScraper scraper() {
        scraper = new ReportScraper(() -> pods, store, INTERVAL, clock, pod -> uris.get(pod.getMetadata().getName()), triggers(), rendered,
                registry);
        return scraper;
    }

    private Consumer<String> triggers() {
        return fired::add;
    }
}
