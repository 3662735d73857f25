package dev.sluice.operator.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What {@link AdmissionTotals} keeps for a namespace: per JobQuota (by uid) the totals every replica has
 * added, and per replica the id of its last flush, by which a replica whose write went unanswered tells
 * whether it was applied. Immutable; each change is a pure function returning a new one.
 *
 * @param quotas by quota uid
 * @param flushes by replica: its last flush
 */
public record StoredTotals(Map<String, Quota> quotas, Map<String, Flush> flushes) {
    public static final StoredTotals EMPTY = new StoredTotals(Map.of(), Map.of());
    /** How long a replica's last flush is remembered: far longer than a write may go unanswered. */
    static final Duration FLUSH_MEMORY = Duration.ofHours(1);
    /** How long the totals of a quota the leader never saw are kept: a quota created is seen within seconds. */
    static final Duration UNSEEN_QUOTA_MEMORY = Duration.ofMinutes(10);

    public StoredTotals {
        quotas = quotas == null ? Map.of() : Map.copyOf(quotas);
        flushes = flushes == null ? Map.of() : Map.copyOf(flushes);
    }

    /**
     * One quota's totals.
     *
     * @param seeded whether the leader has added what the quota's status reported before these totals
     *     existed (an upgrade from an operator that kept none); until then only replicas' flushes are in it
     * @param since when the first flush or the seed created it
     */
    public record Quota(String name, long admitted, long refused, long dryRunOverLimit, boolean seeded, Instant since) {
        JobQuotaStatuses.Totals totals() {
            return new JobQuotaStatuses.Totals(admitted, refused, dryRunOverLimit);
        }

        Quota plus(JobQuotaStatuses.Totals delta) {
            return new Quota(name, admitted + delta.admitted(), refused + delta.refused(), dryRunOverLimit + delta.dryRunOverLimit(), seeded, since);
        }
    }

    /** A replica's last flush. */
    public record Flush(String id, Instant at) {
    }

    /** A quota's share of a flush: its name (for whoever reads the ConfigMap) and what was decided since the last flush. */
    public record Delta(String name, JobQuotaStatuses.Totals totals) {
    }

    /** Adds a replica's flush, remembered under its id; forgets flushes older than {@link #FLUSH_MEMORY}. */
    public StoredTotals add(Map<String, Delta> deltas, String replica, String flushId, Instant now) {
        Map<String, Quota> added = new LinkedHashMap<>(quotas);
        deltas.forEach((uid, delta) -> added.merge(uid, new Quota(delta.name(), 0, 0, 0, false, now).plus(delta.totals()),
                (stored, fresh) -> stored.plus(delta.totals())));
        Map<String, Flush> remembered = new LinkedHashMap<>();
        flushes.forEach((other, flush) -> {
            if (flush.at().isAfter(now.minus(FLUSH_MEMORY))) {
                remembered.put(other, flush);
            }
        });
        remembered.put(replica, new Flush(flushId, now));
        return new StoredTotals(added, remembered);
    }

    /** Whether the replica's last flush remembered is this one. */
    public boolean applied(String replica, String flushId) {
        Flush last = flushes.get(replica);
        return last != null && last.id().equals(flushId);
    }

    /** Adds, once, what a quota's status reported before these totals held it; a quota with no status adds nothing. */
    public StoredTotals seed(String uid, String name, JobQuotaStatuses.Totals reported, Instant now) {
        Quota stored = quotas.get(uid);
        if (stored != null && stored.seeded()) {
            return this;
        }
        Quota base = stored != null ? stored : new Quota(name, 0, 0, 0, false, now);
        Quota seeded = base.plus(reported);
        Map<String, Quota> changed = new LinkedHashMap<>(quotas);
        changed.put(uid, new Quota(name, seeded.admitted(), seeded.refused(), seeded.dryRunOverLimit(), true, seeded.since()));
        return new StoredTotals(changed, flushes);
    }

    /**
     * Forgets the quotas that no longer exist: those the leader had seen ({@code seeded}) and that are not
     * among {@code existing}, and those it never saw for {@link #UNSEEN_QUOTA_MEMORY} (a late flush for a
     * quota deleted meanwhile). A quota created again has a new uid and starts from zero either way.
     */
    public StoredTotals retain(Set<String> existing, Instant now) {
        Map<String, Quota> kept = new LinkedHashMap<>();
        quotas.forEach((uid, quota) -> {
            boolean gone = !existing.contains(uid) && (quota.seeded() || quota.since().isBefore(now.minus(UNSEEN_QUOTA_MEMORY)));
            if (!gone) {
                kept.put(uid, quota);
            }
        });
        return kept.size() == quotas.size() ? this : new StoredTotals(kept, flushes);
    }
}
