package dev.sluice.operator.jobs;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.operator.status.Conditions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** The status a JobQuota should have, as a pure function of what the last pass over its namespace saw. */
public final class JobQuotaStatuses {
    public static final String REASON_ENFORCING = "Enforcing";
    public static final String REASON_DRY_RUN = "DryRun";
    public static final String REASON_WEBHOOK_NOT_CONFIGURED = "WebhookNotConfigured";
    /** The admission ledger could not be read: nothing is admitted until the admissions it may have held have lapsed. */
    public static final String REASON_LEDGER_UNREADABLE = "LedgerUnreadable";

    private JobQuotaStatuses() {
    }

    /** Totals to report: the decisions of every replica, counted once ({@link TotalsFlusher#totals}). */
    public record Totals(long admitted, long refused, long dryRunOverLimit) {
        public Totals plus(Totals other) {
            return new Totals(admitted + other.admitted, refused + other.refused, dryRunOverLimit + other.dryRunOverLimit);
        }
    }

    public static JobQuotaStatus desired(JobQuota quota, List<FieldError> errors, NamespaceState state, Totals totals, boolean webhookCovers) {
        Long generation = quota.getMetadata().getGeneration();
        if (!errors.isEmpty()) {
            String problems = errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
            return new JobQuotaStatus(generation, List.of(
                    Conditions.of(Conditions.READY, false, Conditions.REASON_INVALID_SPEC, problems, generation),
                    Conditions.of(Conditions.ACCEPTED, false, Conditions.REASON_INVALID_SPEC, problems, generation)),
                    null, null, totals.admitted(), totals.refused(), totals.dryRunOverLimit(), null);
        }
        QuotaRules rules = QuotaRules.of(quota);
        List<JobView> waiting = state.waiting(rules);
        JobQuotaStatus.QueuedJob oldest = waiting.stream().min(Comparator.comparing(JobView::queuedAt))
                .map(job -> new JobQuotaStatus.QueuedJob(job.name(), job.queuedAt().toString()))
                .orElse(null);
        JobQuotaSpec spec = quota.getSpec();
        String namespace = quota.getMetadata().getNamespace();
        Ticket unreadable = spec.mode() == JobQuotaSpec.QuotaMode.Enforce ? state.unreadableLedger().orElse(null) : null;
        var ready = unreadable != null
                ? Conditions.of(Conditions.READY, false, REASON_LEDGER_UNREADABLE, "the admission ledger (ConfigMap " + AdmissionLedger.NAME
                        + ") could not be read (" + unreadable.job() + "): the Jobs it had just admitted are unknown, so none is admitted before "
                        + unreadable.lapsesAt() + ", when they have all been stored or lapsed", generation)
                : !webhookCovers
                ? Conditions.of(Conditions.READY, false, REASON_WEBHOOK_NOT_CONFIGURED,
                        "the Job admission webhook does not cover namespace " + namespace + " (yet): new Jobs are not held", generation)
                : spec.mode() == JobQuotaSpec.QuotaMode.DryRun
                        ? Conditions.of(Conditions.READY, true, REASON_DRY_RUN, "reporting only: Jobs over the limit of "
                                + spec.maxConcurrentJobs() + " are counted and announced, never held", generation)
                        : Conditions.of(Conditions.READY, true, REASON_ENFORCING, "at most " + spec.maxConcurrentJobs()
                                + " selected Jobs run at once; at the limit new ones are "
                                + (spec.onLimit() == JobQuotaSpec.OnLimit.Queue ? "queued" : "refused"), generation);
        return new JobQuotaStatus(generation, List.of(ready,
                Conditions.of(Conditions.ACCEPTED, true, Conditions.REASON_VALID, "the spec is valid", generation)),
                state.active(rules), waiting.size(), totals.admitted(), totals.refused(), totals.dryRunOverLimit(), oldest);
    }
}
