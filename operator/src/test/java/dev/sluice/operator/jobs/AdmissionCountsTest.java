package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A JobQuota's status totals are the admission state's; the metrics are a view of that state, not its source. */
class AdmissionCountsTest {
    private static final String NS = "batch";

    @Test
    void statusTotalsComeFromTheAdmissionStateAndOutliveTheMetricsRegistry() {
        AdmissionCounts counts = new AdmissionCounts();
        MeterRegistry registry = new SimpleMeterRegistry();
        JobQuotaMetrics.view(counts, registry);
        JobQuota quota = quota(null);

        counts.admitted(NS, "quota", "creation");
        counts.admitted(NS, "quota", "creation");
        counts.admitted(NS, "quota", "queue");
        counts.refused(NS, "quota", "limit");
        counts.dryRunOverLimit(NS, "quota");
        counts.admitted(NS, "other", "creation");
        counts.saw(NS, 3, 2);

        assertThat(counter(registry, "concurrent_jobs_admitted", "path", "creation")).as("both quotas' admissions").isEqualTo(3);
        assertThat(registry.get("concurrent_jobs_active").tag("namespace", NS).gauge().value()).isEqualTo(3);
        assertThat(status(quota, counts)).extracting(JobQuotaStatus::admittedTotal, JobQuotaStatus::refusedTotal,
                JobQuotaStatus::dryRunOverLimitTotal).containsExactly(3L, 1L, 1L);

        registry.clear();
        assertThat(registry.getMeters()).isEmpty();
        assertThat(status(quota, counts)).extracting(JobQuotaStatus::admittedTotal, JobQuotaStatus::refusedTotal,
                JobQuotaStatus::dryRunOverLimitTotal).containsExactly(3L, 1L, 1L);

        MeterRegistry fresh = new SimpleMeterRegistry();
        JobQuotaMetrics.view(counts, fresh);
        assertThat(counter(fresh, "concurrent_jobs_admitted", "path", "queue")).as("a new view shows what was decided before it").isEqualTo(1);
        assertThat(counter(fresh, "concurrent_jobs_rejected", "reason", "limit")).isEqualTo(1);
        assertThat(fresh.get("concurrent_jobs_dry_run_over_limit").tag("namespace", NS).functionCounter().count()).isEqualTo(1);
        assertThat(fresh.get("concurrent_jobs_queued").tag("namespace", NS).gauge().value()).isEqualTo(2);
    }

    @Test
    void aRestartedOperatorCarriesTheTotalsOnFromTheStatusItsPredecessorWrote() {
        JobQuotaStatus written = new JobQuotaStatus(1L, List.of(), 0, 0, 8L, 2L, 1L, null);
        AdmissionCounts afterRestart = new AdmissionCounts();
        MeterRegistry registry = new SimpleMeterRegistry();
        JobQuotaMetrics.view(afterRestart, registry);

        assertThat(afterRestart.totals(quota(written))).isEqualTo(new JobQuotaStatuses.Totals(8, 2, 1));

        afterRestart.admitted(NS, "quota", "queue");
        JobQuotaStatus next = status(quota(written), afterRestart);

        assertThat(next.admittedTotal()).isEqualTo(9);
        assertThat(status(quota(next), afterRestart).admittedTotal()).as("what was carried over is taken once").isEqualTo(9);
        assertThat(counter(registry, "concurrent_jobs_admitted", "path", "queue")).as("the counter is this process's").isEqualTo(1);
    }

    private static JobQuotaStatus status(JobQuota quota, AdmissionCounts counts) {
        return JobQuotaStatuses.desired(quota, List.of(), new NamespaceState(NS, List.of(), List.of()), counts.totals(quota), true);
    }

    private static double counter(MeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag("namespace", NS).tag(tag, value).functionCounter().count();
    }

    private static JobQuota quota(JobQuotaStatus status) {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName("quota").withUid("uid-quota").withGeneration(1L).build());
        quota.setSpec(JobQuotaSpec.of(3));
        quota.setStatus(status);
        return quota;
    }
}
