package dev.sluice.operator.jobs;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The Jobs of one namespace as a fresh list from the API server shows them, plus the tickets of
 * decisions it may not show yet. Every count a decision rests on comes from here.
 */
public record NamespaceState(String namespace, List<JobView> jobs, List<Ticket> tickets) {
    public NamespaceState {
        jobs = List.copyOf(jobs);
        tickets = List.copyOf(tickets);
    }

    /** Jobs the quota selects that run now, counting admissions not yet visible. */
    public int active(QuotaRules quota) {
        long running = jobs.stream().filter(job -> job.active() && quota.selects(job.labels())).count();
        long pending = tickets.stream().filter(ticket -> ticket.activates() && quota.selects(ticket.labels())).count();
        return (int) (running + pending);
    }

    /** The ticket standing in for a ledger that could not be read, while it stands: no Job may be admitted. */
    public Optional<Ticket> unreadableLedger() {
        return tickets.stream().filter(ticket -> ticket.kind() == Ticket.Kind.UNREADABLE_LEDGER).findFirst();
    }

    /** Jobs Sluice holds that the quota governs. */
    public List<JobView> waiting(QuotaRules quota) {
        return jobs.stream().filter(job -> job.queuedBySluice() && quota.governs(job)).toList();
    }

    /** Jobs Sluice holds. */
    public List<JobView> waiting() {
        return jobs.stream().filter(JobView::queuedBySluice).toList();
    }

    /** Jobs waiting for this quota, queued ones not yet visible included. */
    public int queued(QuotaRules quota) {
        long pending = tickets.stream().filter(ticket -> ticket.kind() == Ticket.Kind.QUEUE && quota.selects(ticket.labels())).count();
        return waiting(quota).size() + (int) pending;
    }

    /** Whether a Job of this quota waits and may run now: a new Job must not overtake it. */
    public boolean hasEligibleWaiting(QuotaRules quota, List<QuotaRules> governing, Instant now) {
        boolean visible = waiting(quota).stream().anyMatch(job -> !holdUntil(job.labels(), job.notBefore(), governing, now).isAfter(now));
        boolean pending = tickets.stream().anyMatch(ticket -> ticket.kind() == Ticket.Kind.QUEUE && quota.selects(ticket.labels())
                && (ticket.notBefore() == null || !ticket.notBefore().isAfter(now)));
        return visible || pending;
    }

    /** When the last Job with this key failed, or null. */
    public Instant lastFailure(String keyLabel, String key) {
        return jobs.stream()
                .filter(job -> job.failedAt() != null && Objects.equals(key, job.labels().get(keyLabel)))
                .map(JobView::failedAt)
                .max(Comparator.naturalOrder())
                .orElse(null);
    }

    /**
     * The earliest time a Job with these labels may run under the failure backoffs of {@code quotas}
     * (and its own {@code notBefore}); {@link Instant#MIN} when nothing holds it.
     */
    public Instant holdUntil(Map<String, String> labels, Instant notBefore, List<QuotaRules> quotas, Instant now) {
        Instant until = notBefore == null ? Instant.MIN : notBefore;
        for (QuotaRules quota : quotas) {
            String key = quota.backoffKey(labels);
            if (key == null) {
                continue;
            }
            Instant failed = lastFailure(quota.backoffKeyLabel(), key);
            if (failed != null && failed.plus(quota.backoffPeriod()).isAfter(until)) {
                until = failed.plus(quota.backoffPeriod());
            }
        }
        return until;
    }
}
