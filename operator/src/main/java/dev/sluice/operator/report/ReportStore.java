package dev.sluice.operator.report;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/** The pods' reports by namespace and pod name, filled by the scraper and read by the reconcilers. */
public final class ReportStore {
    private final ConcurrentMap<String, ConcurrentMap<String, PodReports>> namespaces = new ConcurrentHashMap<>();
    private final Duration silence;

    /** @param silence how long without an answer makes a sidecar not reporting (3 report intervals) */
    public ReportStore(Duration silence) {
        this.silence = silence;
    }

    /** The reports of {@code pod}, a fresh record when the pod is new or was recreated under its name. */
    PodReports pod(String namespace, String pod, String uid) {
        ConcurrentMap<String, PodReports> pods = namespaces.computeIfAbsent(namespace, key -> new ConcurrentHashMap<>());
        return pods.compute(pod, (name, known) -> known != null && Objects.equals(known.uid(), uid) ? known : new PodReports(name, uid));
    }

    /** What is known of every pod of {@code namespace} at {@code now}, by pod name. */
    public Map<String, PodSnapshot> namespace(String namespace, Instant now) {
        Map<String, PodReports> pods = namespaces.getOrDefault(namespace, new ConcurrentHashMap<>());
        return pods.values().stream().map(reports -> reports.snapshot(now, silence))
                .collect(Collectors.toUnmodifiableMap(PodSnapshot::pod, snapshot -> snapshot));
    }

    /** The generation of the document {@code pod}'s last report says it enforces; empty before it answered or while none is in force. */
    Optional<Long> documentGeneration(String namespace, String pod) {
        PodReports reports = namespaces.getOrDefault(namespace, new ConcurrentHashMap<>()).get(pod);
        return reports == null ? Optional.empty() : reports.documentGeneration();
    }

    /** Forgets the pods not in {@code live} ({@code namespace/name}): deleted pods leave nothing behind. */
    void retainOnly(Set<String> live) {
        namespaces.forEach((namespace, pods) -> pods.keySet().removeIf(pod -> !live.contains(namespace + "/" + pod)));
        namespaces.values().removeIf(Map::isEmpty);
    }
}
