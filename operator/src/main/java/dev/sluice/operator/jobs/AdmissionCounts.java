package dev.sluice.operator.jobs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the admission decisions of this process add up to, from its start: the Micrometer meters
 * ({@link JobQuotaMetrics}) are a view of it, and {@link TotalsFlusher} adds what it decided since its
 * last flush to the namespace's {@link AdmissionTotals}, from which the leader writes a JobQuota's status
 * totals. Per quota (by uid: a quota deleted and created again is another one), the admissions (by path),
 * refusals (by reason) and DryRun findings. Per namespace, the Jobs active and queued as the last pass saw them.
 */
public final class AdmissionCounts {
    /** What a count counts. */
    public enum Kind {
        /** Jobs admitted to run, at creation or later; the detail is the path (creation, queue, unsuspend). */
        ADMITTED,
        /** Creations and updates refused; the detail is the reason (limit, queue_full, backoff, update). */
        REFUSED,
        /** Jobs a DryRun quota would have queued or refused; no detail. */
        DRY_RUN
    }

    /** One count: decisions of one kind by one quota of a namespace, with the same detail (or none). */
    public record Key(String namespace, String quota, String quotaUid, Kind kind, String detail) {
    }

    /**
     * The Jobs of a namespace the last pass saw running under a quota, and held; {@code max}: the lowest
     * {@code maxConcurrentJobs} of its quotas (the cap that binds first; 0 without a valid quota).
     */
    public record Seen(int active, int queued, int max) {
    }

    /** Told of each count and each namespace the first time it appears, so that a view can show it. */
    public interface Watcher {
        void counting(Key key);

        void seeing(String namespace);
    }

    private final Map<Key, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

    public void admitted(String namespace, QuotaRef quota, String path) {
        count(new Key(namespace, quota.name(), quota.uid(), Kind.ADMITTED, path));
    }

    public void refused(String namespace, QuotaRef quota, String reason) {
        count(new Key(namespace, quota.name(), quota.uid(), Kind.REFUSED, reason));
    }

    public void dryRunOverLimit(String namespace, QuotaRef quota) {
        count(new Key(namespace, quota.name(), quota.uid(), Kind.DRY_RUN, null));
    }

    /** A quota a decision was taken for: its name, and its uid at the time. */
    public record QuotaRef(String name, String uid) {
    }

    /** What the reconciler's last pass over a namespace saw. */
    public void saw(String namespace, int active, int queued, int max) {
        if (seen.put(namespace, new Seen(active, queued, max)) == null) {
            watchers.forEach(watcher -> watcher.seeing(namespace));
        }
    }

    /** The last pass's counts of a namespace; zero before the first. */
    public Seen seen(String namespace) {
        return seen.getOrDefault(namespace, new Seen(0, 0, 0));
    }

    /** Decisions of this process of one kind in a namespace with one detail, over all its quotas. */
    public long count(String namespace, Kind kind, String detail) {
        return counts.entrySet().stream()
                .filter(entry -> entry.getKey().namespace().equals(namespace) && entry.getKey().kind() == kind
                        && Objects.equals(entry.getKey().detail(), detail))
                .mapToLong(entry -> entry.getValue().get())
                .sum();
    }

    /** Every count of this process, as it stands now. */
    public Map<Key, Long> decided() {
        Map<Key, Long> now = new HashMap<>();
        counts.forEach((key, count) -> now.put(key, count.get()));
        return now;
    }

    /** Adds a watcher and tells it of every count and namespace there is already. */
    public void watch(Watcher watcher) {
        watchers.add(watcher);
        counts.keySet().forEach(watcher::counting);
        seen.keySet().forEach(watcher::seeing);
    }

    private void count(Key key) {
        AtomicLong count = counts.get(key);
        if (count == null) {
            AtomicLong fresh = new AtomicLong();
            count = counts.putIfAbsent(key, fresh);
            if (count == null) {
                count = fresh;
                watchers.forEach(watcher -> watcher.counting(key));
            }
        }
        count.incrementAndGet();
    }
}
