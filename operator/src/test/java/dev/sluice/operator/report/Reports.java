package dev.sluice.operator.report;

import dev.sluice.api.config.RenderedResource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Sidecar reports for tests, built fluently: {@code Reports.report().enforcing("RateLimitPolicy", "api", 5).build()}. */
final class Reports {
    private final List<RenderedResource> resources = new ArrayList<>();
    private final List<SidecarReport.RuleCounters> rules = new ArrayList<>();
    private final List<SidecarReport.BreakerState> breakers = new ArrayList<>();
    private int documentVersion = 1;
    private String sidecarVersion = "0.1.0";
    private long generation = 1;
    private SidecarReport.Refusal refused;
    private boolean inForce = true;

    static Reports report() {
        return new Reports();
    }

    Reports enforcing(String kind, String name, long generation) {
        resources.add(new RenderedResource(kind, name, generation));
        return this;
    }

    Reports documentGeneration(long generation) {
        this.generation = generation;
        return this;
    }

    Reports noDocument() {
        inForce = false;
        return this;
    }

    Reports sidecar(String version, int documentVersion) {
        this.sidecarVersion = version;
        this.documentVersion = documentVersion;
        return this;
    }

    Reports refused(Long generation, String message, RenderedResource... carried) {
        refused = new SidecarReport.Refusal("2026-11-28T03:00:00Z", generation, message, List.of(carried));
        return this;
    }

    Reports rule(String policy, String rule, long requests, long rejected, long shadowRejected) {
        rules.add(new SidecarReport.RuleCounters(policy, rule, "Enforce", requests, rejected, shadowRejected, 0));
        return this;
    }

    Reports breaker(String breaker, String state) {
        breakers.add(new SidecarReport.BreakerState(breaker, state, null));
        return this;
    }

    SidecarReport build() {
        SidecarReport.InForce config = inForce
                ? new SidecarReport.InForce(generation, 1, "watch", "cm-uid", "2026-11-28T03:00:00Z", resources, List.of())
                : null;
        return new SidecarReport(sidecarVersion, documentVersion, config, refused, rules, breakers, false);
    }

    static PodSnapshot answering(String pod, SidecarReport report) {
        return new PodSnapshot(pod, report, PodSnapshot.Reporting.ANSWERING, List.of(new PodSnapshot.Sample(Instant.EPOCH, Map.of())));
    }

    static PodSnapshot silent(String pod, SidecarReport lastReport) {
        return new PodSnapshot(pod, lastReport, PodSnapshot.Reporting.SILENT, List.of());
    }

    static PodSnapshot pending(String pod) {
        return new PodSnapshot(pod, null, PodSnapshot.Reporting.PENDING, List.of());
    }
}
