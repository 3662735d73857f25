package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The metrics are a view of the admission counts, not their source: a registry cleared or made anew loses nothing. */
class AdmissionCountsTest {
    private static final String NS = "batch";
    private static final AdmissionCounts.QuotaRef QUOTA = new AdmissionCounts.QuotaRef("quota", "uid-quota");
    private static final AdmissionCounts.QuotaRef OTHER = new AdmissionCounts.QuotaRef("other", "uid-other");

    @Test
    void theMetricsAreAViewOfTheCountsAndOutliveTheirRegistry() {
        AdmissionCounts counts = new AdmissionCounts();
        MeterRegistry registry = new SimpleMeterRegistry();
        JobQuotaMetrics.view(counts, registry);

        counts.admitted(NS, QUOTA, "creation");
        counts.admitted(NS, QUOTA, "creation");
        counts.admitted(NS, QUOTA, "queue");
        counts.refused(NS, QUOTA, "limit");
        counts.dryRunOverLimit(NS, QUOTA);
        counts.admitted(NS, OTHER, "creation");
        counts.saw(NS, 3, 2, 5);

        assertThat(counter(registry, "concurrent_jobs_admitted", "path", "creation")).as("both quotas' admissions").isEqualTo(3);
        assertThat(registry.get("concurrent_jobs_active").tag("namespace", NS).gauge().value()).isEqualTo(3);
        assertThat(registry.get("concurrent_jobs_max").tag("namespace", NS).gauge().value()).as("the lowest cap of the namespace").isEqualTo(5);
        assertThat(counts.decided()).as("what a flush adds, per quota uid, kind and detail")
                .containsEntry(new AdmissionCounts.Key(NS, "quota", "uid-quota", AdmissionCounts.Kind.ADMITTED, "creation"), 2L)
                .containsEntry(new AdmissionCounts.Key(NS, "other", "uid-other", AdmissionCounts.Kind.ADMITTED, "creation"), 1L)
                .hasSize(5);

        registry.clear();
        assertThat(registry.getMeters()).isEmpty();
        MeterRegistry fresh = new SimpleMeterRegistry();
        JobQuotaMetrics.view(counts, fresh);
        assertThat(counter(fresh, "concurrent_jobs_admitted", "path", "queue")).as("a new view shows what was decided before it").isEqualTo(1);
        assertThat(counter(fresh, "concurrent_jobs_rejected", "reason", "limit")).isEqualTo(1);
        assertThat(fresh.get("concurrent_jobs_dry_run_over_limit").tag("namespace", NS).functionCounter().count()).isEqualTo(1);
        assertThat(fresh.get("concurrent_jobs_queued").tag("namespace", NS).gauge().value()).isEqualTo(2);
    }

    private static double counter(MeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag("namespace", NS).tag(tag, value).functionCounter().count();
    }
}
