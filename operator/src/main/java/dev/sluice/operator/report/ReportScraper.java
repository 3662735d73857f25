package dev.sluice.operator.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.operator.status.PodSidecars;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every sidecar's {@code GET /report} on the leader: every report interval, each live pod of the watched
 * namespaces that has the sidecar and a pod IP is asked on its admin port, with at most {@value #IN_FLIGHT} requests in
 * flight and a 1 s timeout each. Right after the operator writes a namespace's changed ConfigMap, that namespace's pods
 * are asked again at once and after 250 ms, 500 ms and 1 s, so that status shows a patch about a second after the
 * sidecars load it rather than at the next round. A change that matters to a condition (the resources a pod enforces
 * and their generations, a refusal, a circuit opening or closing, a pod starting or stopping to answer) reconciles
 * the namespace's resources at once; a change of counters alone, at most once per 10 s per namespace.
 */
public final class ReportScraper implements AutoCloseable {
    public static final String PATH = "/report";
    static final int IN_FLIGHT = 64;
    static final Duration TIMEOUT = Duration.ofSeconds(1);
    static final Duration RATES_EVERY = Duration.ofSeconds(RuleRates.BUCKET_SECONDS);
    static final List<Duration> AFTER_A_WRITE = List.of(Duration.ZERO, Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1));
    private static final Logger LOG = LoggerFactory.getLogger(ReportScraper.class);
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Supplier<List<Pod>> pods;
    private final ReportStore store;
    private final Duration interval;
    private final Clock clock;
    private final Function<Pod, URI> uris;
    private final Consumer<String> changed;
    private final Duration timeout;
    private final Map<String, Long> renderedGenerations;
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
    private final Map<String, Map<String, Object>> lastFingerprints = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> lastCounters = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastRateTrigger = new ConcurrentHashMap<>();
    private final Counter ok;
    private final Counter error;
    private final Timer round;
    private final MultiGauge stale;
    private ExecutorService httpExecutor;
    private HttpClient http;
    private ScheduledExecutorService scheduler;

    /**
     * @param pods the pods of the watched namespaces (an informer's cache)
     * @param uris where a pod's report is read ({@link #reportUri} in a cluster; local servers in tests)
     * @param changed told each namespace whose reports changed in a way that matters (its resources are reconciled)
     * @param renderedGenerations the document generation last rendered per namespace, for the stale sidecars gauge
     */
    public ReportScraper(Supplier<List<Pod>> pods, ReportStore store, Duration interval, Clock clock, Function<Pod, URI> uris,
                         Consumer<String> changed, Map<String, Long> renderedGenerations, MeterRegistry registry) {
        this(pods, store, interval, clock, uris, changed, renderedGenerations, registry, TIMEOUT);
    }

    ReportScraper(Supplier<List<Pod>> pods, ReportStore store, Duration interval, Clock clock, Function<Pod, URI> uris,
                  Consumer<String> changed, Map<String, Long> renderedGenerations, MeterRegistry registry, Duration timeout) {
        this.timeout = timeout;
        this.changed = changed;
        this.pods = pods;
        this.store = store;
        this.interval = interval;
        this.clock = clock;
        this.uris = uris;
        this.renderedGenerations = renderedGenerations;
        this.ok = Counter.builder("sluice_sidecar_reports").description("Sidecar reports read, by result").tag("result", "ok").register(registry);
        this.error = Counter.builder("sluice_sidecar_reports").description("Sidecar reports read, by result").tag("result", "error")
                .register(registry);
        this.round = Timer.builder("sluice_report_round").description("How long a round of reading every sidecar's report took")
                .register(registry);
        this.stale = MultiGauge.builder("sluice_sidecars_stale")
                .description("Pods with a ready sidecar that do not report, refused the configuration, or run an older document than the one rendered")
                .register(registry);
    }

    /** {@code http://<pod IP>:<admin port>/report}. */
    public static URI reportUri(Pod pod) {
        String ip = pod.getStatus().getPodIP();
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        return URI.create("http://" + host + ":" + PodSidecars.adminPort(pod) + PATH);
    }

    /** Starts reading: on the leader, which alone reconciles. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newScheduledThreadPool(2, daemon("sluice-report"));
        scheduler.scheduleWithFixedDelay(this::roundSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("Reading the sidecars' reports every {}", interval);
    }

    /**
     * Asks the pods of {@code namespace} again at once and a few times over the next second, its ConfigMap changed to
     * document {@code generation}: each time only those whose last report does not show that document yet (at 1,000 pods,
     * asking every pod four times cost the operator more CPU than everything else a patch does).
     */
    public void configWritten(String namespace, long generation) {
        ScheduledExecutorService running;
        synchronized (this) {
            running = scheduler;
        }
        if (running == null) {
            return;
        }
        for (Duration delay : AFTER_A_WRITE) {
            running.schedule(() -> {
                try {
                    scrape(askable().stream().filter(pod -> namespace.equals(pod.getMetadata().getNamespace()))
                            .filter(pod -> store.documentGeneration(namespace, pod.getMetadata().getName()).orElse(-1L) < generation)
                            .toList());
                } catch (RuntimeException e) {
                    LOG.warn("Reading the reports of namespace {} failed: {}", namespace, e.toString());
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void roundSafely() {
        try {
            round();
        } catch (RuntimeException e) {
            LOG.warn("A round of sidecar reports failed: {}", e.toString());
        }
    }

    /** One round: every pod asked, the deleted ones forgotten, the gauge set, the namespaces whose reports changed reconciled. */
    void round() {
        long start = System.nanoTime();
        List<Pod> askable = askable();
        store.retainOnly(askable.stream().map(ReportScraper::key).collect(Collectors.toSet()));
        scrape(askable);
        round.record(Duration.ofNanos(System.nanoTime() - start));
        Set<String> gone = new HashSet<>(lastFingerprints.keySet());
        askable.forEach(pod -> gone.remove(pod.getMetadata().getNamespace()));
        for (String namespace : gone) {
            lastFingerprints.remove(namespace);
            lastCounters.remove(namespace);
            changed.accept(namespace);
        }
        setStaleGauge(askable);
    }

    /** The live pods with a sidecar and an IP. */
    private List<Pod> askable() {
        return pods.get().stream()
                .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null && PodSidecars.hasSidecar(pod))
                .filter(pod -> pod.getStatus() != null && pod.getStatus().getPodIP() != null && !pod.getStatus().getPodIP().isBlank())
                .filter(pod -> !"Succeeded".equals(pod.getStatus().getPhase()) && !"Failed".equals(pod.getStatus().getPhase()))
                .toList();
    }

    /** Asks {@code askable}, waits for every answer or timeout, then reconciles the namespaces whose reports changed. */
    void scrape(List<Pod> askable) {
        List<CompletableFuture<Void>> asked = new ArrayList<>();
        for (Pod pod : askable) {
            PodReports reports = store.pod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid());
            reports.asked(clock.instant());
            inFlight.acquireUninterruptibly();
            CompletableFuture<Void> answer;
            try {
                HttpRequest request = HttpRequest.newBuilder(uris.apply(pod)).timeout(timeout).GET().build();
                answer = client().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                        .thenAccept(response -> accept(reports, response))
                        .exceptionally(failure -> {
                            error.increment();
                            LOG.debug("No report from pod {}: {}", key(pod), failure.toString());
                            return null;
                        })
                        .whenComplete((nothing, failure) -> inFlight.release());
            } catch (RuntimeException e) {
                inFlight.release();
                error.increment();
                continue;
            }
            asked.add(answer);
        }
        CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).join();
        Instant now = clock.instant();
        askable.stream().map(pod -> pod.getMetadata().getNamespace()).distinct().forEach(namespace -> compare(namespace, now));
    }

    /** The HTTP client, made at the first use (a round needs no start, for tests) and again after a {@link #close}. */
    private synchronized HttpClient client() {
        if (http == null) {
            httpExecutor = Executors.newFixedThreadPool(2, daemon("sluice-report-http"));
            http = HttpClient.newBuilder().connectTimeout(timeout).executor(httpExecutor).version(HttpClient.Version.HTTP_1_1).build();
        }
        return http;
    }

    private void accept(PodReports reports, HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            error.increment();
            return;
        }
        try {
            reports.answered(clock.instant(), JSON.readValue(response.body(), SidecarReport.class));
            ok.increment();
        } catch (IOException e) {
            error.increment();
            LOG.debug("An unreadable report: {}", e.getMessage());
        }
    }

    /** Reconciles {@code namespace} when what its pods report changed in a way that matters to a condition, or its rates may have. */
    private void compare(String namespace, Instant now) {
        Map<String, PodSnapshot> snapshots = store.namespace(namespace, now);
        Map<String, Object> fingerprints = new HashMap<>();
        Map<String, Object> counters = new HashMap<>();
        snapshots.forEach((pod, snapshot) -> {
            fingerprints.put(pod, fingerprint(snapshot));
            counters.put(pod, snapshot.report() == null ? List.of() : snapshot.report().rules());
        });
        Map<String, Object> before = lastFingerprints.put(namespace, fingerprints);
        Map<String, Object> countersBefore = lastCounters.put(namespace, counters);
        if (!fingerprints.equals(before)) {
            lastRateTrigger.put(namespace, now);
            changed.accept(namespace);
        } else if (!counters.equals(countersBefore)
                && !lastRateTrigger.getOrDefault(namespace, Instant.MIN).isAfter(now.minus(RATES_EVERY))) {
            lastRateTrigger.put(namespace, now);
            changed.accept(namespace);
        }
    }

    /** What of a pod's report a condition or status field other than a rate depends on. */
    private static Object fingerprint(PodSnapshot snapshot) {
        SidecarReport report = snapshot.report();
        if (report == null) {
            return List.of(snapshot.reporting());
        }
        List<String> open = report.breakers().stream().filter(SidecarReport.BreakerState::open).map(SidecarReport.BreakerState::breaker).sorted()
                .toList();
        return Arrays.asList(snapshot.reporting(), report.config() == null ? null : report.config().resources(),
                report.config() == null ? null : report.config().generation(), report.refused(), open, report.documentVersion(),
                report.sidecarVersion());
    }

    private void setStaleGauge(List<Pod> askable) {
        Instant now = clock.instant();
        Map<String, Integer> counts = new HashMap<>();
        // One snapshot of each namespace for the round, not one per pod: a namespace of 1,000 pods would otherwise copy
        // every pod's samples a thousand times.
        Map<String, Map<String, PodSnapshot>> snapshots = new HashMap<>();
        for (Pod pod : askable) {
            String namespace = pod.getMetadata().getNamespace();
            counts.putIfAbsent(namespace, 0);
            if (!PodSidecars.sidecarReady(pod)) {
                continue;
            }
            PodSnapshot snapshot = snapshots.computeIfAbsent(namespace, ns -> store.namespace(ns, now)).get(pod.getMetadata().getName());
            if (snapshot == null || snapshot.reporting() == PodSnapshot.Reporting.PENDING) {
                continue;
            }
            SidecarReport report = snapshot.report();
            Long rendered = renderedGenerations.get(namespace);
            boolean behind = report != null && rendered != null
                    && (report.config() == null || report.config().generation() == null || report.config().generation() < rendered);
            if (snapshot.reporting() == PodSnapshot.Reporting.SILENT || report.refused() != null || behind) {
                counts.merge(namespace, 1, Integer::sum);
            }
        }
        stale.register(counts.entrySet().stream()
                .map(entry -> MultiGauge.Row.of(Tags.of("namespace", entry.getKey()), entry.getValue()))
                .toList(), true);
    }

    private static String key(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        if (httpExecutor != null) {
            httpExecutor.shutdownNow();
            httpExecutor = null;
            http = null;
        }
        lastFingerprints.clear();
        lastCounters.clear();
    }
}
