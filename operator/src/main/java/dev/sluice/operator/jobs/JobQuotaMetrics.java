package dev.sluice.operator.jobs;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Job admission metrics, per namespace: {@code concurrent_jobs_active}, {@code concurrent_jobs_queued}, {@code concurrent_jobs_max},
 * {@code concurrent_jobs_rejected_total}, {@code concurrent_jobs_admitted_total} and
 * {@code concurrent_jobs_dry_run_over_limit_total}, each a view of {@link AdmissionCounts} (what this
 * process decided and last saw), and the webhook's decision latency
 * {@code sluice_job_admission_duration_seconds}, the one thing measured here.
 */
public final class JobQuotaMetrics implements AdmissionCounts.Watcher {
    private final MeterRegistry registry;
    private final AdmissionCounts counts;

    private JobQuotaMetrics(MeterRegistry registry, AdmissionCounts counts) {
        this.registry = registry;
        this.counts = counts;
    }

    /** The meters of {@code counts} in {@code registry}, for every count there is and every one to come. */
    public static JobQuotaMetrics view(AdmissionCounts counts, MeterRegistry registry) {
        JobQuotaMetrics metrics = new JobQuotaMetrics(registry, counts);
        counts.watch(metrics);
        return metrics;
    }

    public void decisionTook(String outcome, Duration duration) {
        Timer.builder("sluice_job_admission_duration").description("Time the Job admission webhook took to decide")
                .tag("outcome", outcome).publishPercentileHistogram().register(registry).record(duration);
    }

    @Override
    public void counting(AdmissionCounts.Key key) {
        String namespace = key.namespace();
        AdmissionCounts.Kind kind = key.kind();
        String detail = key.detail();
        FunctionCounter.Builder<AdmissionCounts> counter = switch (kind) {
            case ADMITTED -> FunctionCounter.builder("concurrent_jobs_admitted", counts, c -> c.count(namespace, kind, detail))
                    .description("Jobs admitted to run by a JobQuota, at creation or from the queue").tag("path", detail);
            case REFUSED -> FunctionCounter.builder("concurrent_jobs_rejected", counts, c -> c.count(namespace, kind, detail))
                    .description("Job creations refused by a JobQuota").tag("reason", detail);
            case DRY_RUN -> FunctionCounter.builder("concurrent_jobs_dry_run_over_limit", counts, c -> c.count(namespace, kind, detail))
                    .description("Jobs a DryRun JobQuota would have queued or refused");
        };
        counter.tag("namespace", namespace).register(registry);
    }

    @Override
    public void seeing(String namespace) {
        Gauge.builder("concurrent_jobs_active", counts, c -> c.seen(namespace).active())
                .description("Jobs running under a JobQuota (not suspended, not finished)").tag("namespace", namespace).register(registry);
        Gauge.builder("concurrent_jobs_queued", counts, c -> c.seen(namespace).queued())
                .description("Jobs suspended by Sluice, waiting for a slot").tag("namespace", namespace).register(registry);
        Gauge.builder("concurrent_jobs_max", counts, c -> c.seen(namespace).max())
                .description("The lowest maxConcurrentJobs of the namespace's JobQuotas: the cap concurrent_jobs_active is held under")
                .tag("namespace", namespace).register(registry);
    }
}
