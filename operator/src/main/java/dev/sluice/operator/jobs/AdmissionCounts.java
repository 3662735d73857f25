package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the admission decisions add up to: the source of a JobQuota's status totals, of which the
 * Micrometer meters ({@link JobQuotaMetrics}) are a view. Per quota, the admissions (by path), refusals
 * (by reason) and DryRun findings this process decided, on top of what the quota's status reported when
 * this process first saw it, which is what earlier processes (a previous leader, this one before a
 * restart) had counted. Per namespace, the Jobs active and queued as the last pass saw them.
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
    public record Key(String namespace, String quota, Kind kind, String detail) {
    }

    /** The Jobs of a namespace the last pass saw running under a quota, and held. */
    public record Seen(int active, int queued) {
    }

    /** Told of each count and each namespace the first time it appears, so that a view can show it. */
    public interface Watcher {
        void counting(Key key);

        void seeing(String namespace);
    }

    private final Map<Key, AtomicLong> counts = new ConcurrentHashMap<>();
    /** By the quota's uid: its status totals when this process first saw it. */
    private final Map<String, JobQuotaStatuses.Totals> carriedOver = new ConcurrentHashMap<>();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

    public void admitted(String namespace, String quota, String path) {
        count(new Key(namespace, quota, Kind.ADMITTED, path));
    }

    public void refused(String namespace, String quota, String reason) {
        count(new Key(namespace, quota, Kind.REFUSED, reason));
    }

    public void dryRunOverLimit(String namespace, String quota) {
        count(new Key(namespace, quota, Kind.DRY_RUN, null));
    }

    /** What the reconciler's last pass over a namespace saw. */
    public void saw(String namespace, int active, int queued) {
        if (seen.put(namespace, new Seen(active, queued)) == null) {
            watchers.forEach(watcher -> watcher.seeing(namespace));
        }
    }

    /** The last pass's counts of a namespace; zero before the first. */
    public Seen seen(String namespace) {
        return seen.getOrDefault(namespace, new Seen(0, 0));
    }

    /** Decisions of this process of one kind in a namespace with one detail, over all its quotas. */
    public long count(String namespace, Kind kind, String detail) {
        return counts.entrySet().stream()
                .filter(entry -> entry.getKey().namespace().equals(namespace) && entry.getKey().kind() == kind
                        && Objects.equals(entry.getKey().detail(), detail))
                .mapToLong(entry -> entry.getValue().get())
                .sum();
    }

    /** The totals a quota's status reports: what it reported when this process first saw it, plus what this process decided since. */
    public JobQuotaStatuses.Totals totals(JobQuota quota) {
        JobQuotaStatuses.Totals base = carriedOver.computeIfAbsent(quota.getMetadata().getUid(), uid -> {
            JobQuotaStatus status = quota.getStatus();
            return status == null ? new JobQuotaStatuses.Totals(0, 0, 0) : new JobQuotaStatuses.Totals(
                    orZero(status.admittedTotal()), orZero(status.refusedTotal()), orZero(status.dryRunOverLimitTotal()));
        });
        String namespace = quota.getMetadata().getNamespace();
        String name = quota.getMetadata().getName();
        return new JobQuotaStatuses.Totals(
                base.admitted() + decided(namespace, name, Kind.ADMITTED),
                base.refused() + decided(namespace, name, Kind.REFUSED),
                base.dryRunOverLimit() + decided(namespace, name, Kind.DRY_RUN));
    }

    /** Adds a watcher and tells it of every count and namespace there is already. */
    public void watch(Watcher watcher) {
        watchers.add(watcher);
        counts.keySet().forEach(watcher::counting);
        seen.keySet().forEach(watcher::seeing);
    }

    private long decided(String namespace, String quota, Kind kind) {
        return counts.entrySet().stream()
                .filter(entry -> entry.getKey().namespace().equals(namespace) && entry.getKey().quota().equals(quota)
                        && entry.getKey().kind() == kind)
                .mapToLong(entry -> entry.getValue().get())
                .sum();
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

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
