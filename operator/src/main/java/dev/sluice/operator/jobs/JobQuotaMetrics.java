package dev.sluice.operator.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Job admission metrics, per namespace: {@code concurrent_jobs_active}, {@code concurrent_jobs_queued},
 * {@code concurrent_jobs_rejected_total}, {@code concurrent_jobs_admitted_total}, and the webhook's
 * decision latency {@code sluice_job_admission_duration_seconds}. Also the per-quota totals that
 * the status reports.
 */
public final class JobQuotaMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queued = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();

    public JobQuotaMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The counts of a namespace, as the last decision saw them. */
    public void observed(String namespace, int activeJobs, int queuedJobs) {
        gauge("concurrent_jobs_active", "Jobs running under a JobQuota (not suspended, not finished)", active, namespace).set(activeJobs);
        gauge("concurrent_jobs_queued", "Jobs suspended by Sluice, waiting for a slot", queued, namespace).set(queuedJobs);
    }

    public void rejected(String namespace, String quota, String reason) {
        Counter.builder("concurrent_jobs_rejected").description("Job creations refused by a JobQuota")
                .tag("namespace", namespace).tag("reason", reason).register(registry).increment();
        total(namespace, quota, "refused").incrementAndGet();
    }

    public void admitted(String namespace, String quota, String path) {
        Counter.builder("concurrent_jobs_admitted").description("Jobs admitted to run by a JobQuota, at creation or from the queue")
                .tag("namespace", namespace).tag("path", path).register(registry).increment();
        total(namespace, quota, "admitted").incrementAndGet();
    }

    public void dryRunOverLimit(String namespace, String quota) {
        Counter.builder("concurrent_jobs_dry_run_over_limit").description("Jobs a DryRun JobQuota would have queued or refused")
                .tag("namespace", namespace).register(registry).increment();
        total(namespace, quota, "dryRun").incrementAndGet();
    }

    public void decisionTook(String outcome, Duration duration) {
        Timer.builder("sluice_job_admission_duration").description("Time the Job admission webhook took to decide")
                .tag("outcome", outcome).publishPercentileHistogram().register(registry).record(duration);
    }

    /** Admitted, refused and DryRun totals counted by this process for a quota since it started. */
    public long sinceStart(String namespace, String quota, String kind) {
        AtomicLong total = totals.get(namespace + "/" + quota + "/" + kind);
        return total == null ? 0 : total.get();
    }

    private AtomicLong total(String namespace, String quota, String kind) {
        return totals.computeIfAbsent(namespace + "/" + quota + "/" + kind, key -> new AtomicLong());
    }

    private AtomicInteger gauge(String name, String description, Map<String, AtomicInteger> values, String namespace) {
        return values.computeIfAbsent(namespace, ns -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder(name, value, AtomicInteger::get).description(description).tag("namespace", ns).register(registry);
            return value;
        });
    }
}
