package dev.sluice.benchmarks.live;

import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.watch.ConfigMapWatch;
import dev.sluice.sidecar.watch.ConfigMapWatchSettings;
import dev.sluice.sidecar.watch.WatchedDocument;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One pod's sidecar as the operator and the benchmark see it: the sidecar's own {@link ConfigMapWatch} (its own
 * HttpClient, so its own connection to the API server, authenticated with its own ServiceAccount token), the document
 * it received last, and when each document arrived. It enforces nothing and takes no traffic.
 */
final class SimulatedSidecar {
    /** A document as it arrived: its generation (null without one) and the wall-clock time, in microseconds since the epoch. */
    record Arrival(Long generation, long epochMicros) {
    }

    private record Loaded(WatchedDocument received, LoadedDocument document, Instant at) {
    }

    private final String pod;
    private final ConfigMapWatch watch;
    private final Function<String, LoadedDocument> documents;
    private final Clock clock;
    private final List<Arrival> arrivals = new ArrayList<>();
    private volatile Loaded inForce;
    private volatile Loaded refused;

    /** @param documents reads a document text, shared by the sidecars of the fleet */
    SimulatedSidecar(String pod, ConfigMapWatchSettings settings, Function<String, LoadedDocument> documents, Clock clock, MeterRegistry registry) {
        this.pod = pod;
        this.documents = documents;
        this.clock = clock;
        this.watch = new ConfigMapWatch(settings, this::received, registry);
    }

    String pod() {
        return pod;
    }

    void start() {
        watch.start();
    }

    void stop() {
        watch.close();
    }

    boolean connected() {
        return "connected".equals(watch.status());
    }

    boolean hasDocument() {
        return inForce != null;
    }

    /** Called on the watch's thread for every state the API server delivers. */
    private void received(WatchedDocument received) {
        Instant at = clock.instant();
        LoadedDocument document = received.present() ? documents.apply(received.text()) : null;
        synchronized (arrivals) {
            arrivals.add(new Arrival(document == null ? null : document.generation(), ChronoUnit.MICROS.between(Instant.EPOCH, at)));
        }
        if (document != null && document.refused()) {
            refused = new Loaded(received, document, at);
            return;
        }
        inForce = document == null ? null : new Loaded(received, document, at);
        refused = null;
    }

    /** When a document of generation {@code generation} or later first arrived, in epoch microseconds; -1 while none has. */
    long firstArrival(long generation) {
        synchronized (arrivals) {
            for (Arrival arrival : arrivals) {
                if (arrival.generation() != null && arrival.generation() >= generation) {
                    return arrival.epochMicros();
                }
            }
        }
        return -1;
    }

    /** The generation in force; -1 while none. */
    long generation() {
        Loaded loaded = inForce;
        return loaded == null || loaded.document().generation() == null ? -1 : loaded.document().generation();
    }

    /** The sidecar's {@code GET /report} (docs/architecture.md, "Reports"), as a JSON tree for Jackson. */
    Map<String, Object> report(String sidecarVersion) {
        Loaded loaded = inForce;
        Loaded refusal = refused;
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("sidecarVersion", sidecarVersion);
        report.put("documentVersion", SidecarConfig.DOCUMENT_VERSION);
        if (loaded == null) {
            report.put("config", null);
        } else {
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("generation", loaded.document().generation());
            config.put("version", loaded.document().version());
            config.put("source", "watch");
            config.put("configMapUid", loaded.received().uid());
            config.put("loadedAt", loaded.at().toString());
            config.put("resources", loaded.document().resources());
            config.put("ignoredFields", List.of());
            report.put("config", config);
        }
        if (refusal == null) {
            report.put("refused", null);
        } else {
            Map<String, Object> refusedDocument = new LinkedHashMap<>();
            refusedDocument.put("at", refusal.at().toString());
            refusedDocument.put("generation", null);
            refusedDocument.put("message", refusal.document().error());
            refusedDocument.put("resources", List.of());
            report.put("refused", refusedDocument);
        }
        report.put("rules", loaded == null ? List.of() : loaded.document().rules());
        report.put("breakers", loaded == null ? List.of() : loaded.document().breakers());
        report.put("gates", List.of());
        report.put("draining", false);
        return report;
    }
}
