package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a replica's decisions into the status totals. Every replica decides (both webhooks), but only
 * the leader writes statuses: so every {@link #PERIOD}, and when the replica stops, each replica adds
 * what it decided since its last flush ({@link AdmissionCounts}) to the namespace's {@link AdmissionTotals},
 * with a resourceVersion precondition: two replicas flushing at once cannot both write over one state,
 * and the one that loses reads again and adds to the new one. The leader reports the stored totals plus
 * what it decided itself and has not flushed yet ({@link #totals}). Nothing of this is on the webhook's
 * path: a decision only increments a counter in memory. A replica that crashes loses what it decided
 * since its last flush: at most {@link #PERIOD} of decisions while the API server answers.
 */
public final class TotalsFlusher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TotalsFlusher.class);
    static final Duration PERIOD = Duration.ofSeconds(2);
    private static final int ATTEMPTS = 10;

    private final AdmissionCounts counts;
    private final AdmissionTotals store;
    private final Clock clock;
    /** Names this process's flushes; a new one at every start. */
    private final String replica = UUID.randomUUID().toString();
    /** Guarded by this: per count, how much of it the stored totals hold. */
    private final Map<AdmissionCounts.Key, Long> flushed = new HashMap<>();
    /** Guarded by this: per namespace, the flushes whose write went unanswered since the last one written: one of them may be stored. */
    private final Map<String, List<Flush>> unanswered = new HashMap<>();
    /** Guarded by this: namespaces whose unreadable totals were logged, with what was wrong. */
    private final Map<String, String> unreadableLogged = new HashMap<>();
    private ScheduledExecutorService timer;

    public TotalsFlusher(AdmissionCounts counts, AdmissionTotals store, Clock clock) {
        this.counts = counts;
        this.store = store;
        this.clock = clock;
    }

    /** A flush: its id, and the counts as they stood when it was taken. */
    private record Flush(String id, Map<AdmissionCounts.Key, Long> upTo) {
    }

    /** Flushes every {@link #PERIOD} from now on, until {@link #close}. */
    public synchronized TotalsFlusher start() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "jobquota-totals-flush");
                thread.setDaemon(true);
                return thread;
            });
            timer.scheduleWithFixedDelay(this::flushQuietly, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Adds what this replica decided since its last flush to the stored totals of each namespace it decided in. */
    public synchronized void flush() {
        Map<String, Map<AdmissionCounts.Key, Long>> byNamespace = new HashMap<>();
        counts.decided().forEach((key, count) -> {
            if (count > flushed.getOrDefault(key, 0L)) {
                byNamespace.computeIfAbsent(key.namespace(), namespace -> new HashMap<>()).put(key, count);
            }
        });
        byNamespace.forEach(this::flush);
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("Could not flush the JobQuota totals: {}; they are kept and flushed again in {}", e.getMessage(), PERIOD);
        }
    }

    private void flush(String namespace, Map<AdmissionCounts.Key, Long> upTo) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            AdmissionTotals.Read read = store.read(namespace);
            if (readable(namespace, read) == null) {
                return;
            }
            settle(namespace, read);
            Map<String, StoredTotals.Delta> deltas = deltas(upTo, key -> true);
            if (deltas.isEmpty()) {
                return;
            }
            Flush flush = new Flush(UUID.randomUUID().toString(), upTo);
            StoredTotals added = read.totals().add(deltas, replica, flush.id(), clock.instant());
            boolean written;
            try {
                written = store.write(namespace, read, added);
            } catch (KubernetesClientException e) {
                // Perhaps stored, perhaps not: the next flush reads whether this id is the last one stored.
                unanswered.computeIfAbsent(namespace, ns -> new ArrayList<>()).add(flush);
                LOG.info("The JobQuota totals of namespace {} went unanswered ({}); flushing them again in {}", namespace, e.getMessage(), PERIOD);
                return;
            }
            if (written) {
                flushed.putAll(flush.upTo());
                // Written over the state an unanswered flush was conditioned on (or a later one): that one can no longer be stored.
                unanswered.remove(namespace);
                return;
            }
        }
        LOG.info("The JobQuota totals of namespace {} kept changing under {} attempts; flushing them again in {}", namespace, ATTEMPTS, PERIOD);
    }

    /**
     * The totals a quota's status reports: what every replica flushed, plus what this one decided and has
     * not flushed yet. Upgrading from an operator that kept no stored totals, the quota's status is added
     * to them once. Forgets the stored totals of quotas not among {@code existing} (uids).
     */
    public synchronized JobQuotaStatuses.Totals totals(JobQuota quota, Set<String> existing) {
        String namespace = quota.getMetadata().getNamespace();
        String uid = quota.getMetadata().getUid();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            AdmissionTotals.Read read = store.read(namespace);
            StoredTotals stored = readable(namespace, read);
            if (stored == null) {
                // Nothing sure to add to: the status keeps what it reported.
                return reported(quota);
            }
            settle(namespace, read);
            Set<String> kept = new HashSet<>(existing);
            kept.add(uid);
            StoredTotals wanted = stored.seed(uid, quota.getMetadata().getName(), reported(quota), clock.instant()).retain(kept, clock.instant());
            if (!wanted.equals(stored)) {
                if (!store.write(namespace, read, wanted)) {
                    continue;
                }
                unanswered.remove(namespace);
            }
            JobQuotaStatuses.Totals unflushed = deltas(counts.decided(), key -> key.namespace().equals(namespace) && uid.equals(key.quotaUid()))
                    .getOrDefault(uid, new StoredTotals.Delta(quota.getMetadata().getName(), new JobQuotaStatuses.Totals(0, 0, 0))).totals();
            return wanted.quotas().get(uid).totals().plus(unflushed);
        }
        throw new IllegalStateException("the JobQuota totals of namespace " + namespace + " (ConfigMap " + AdmissionTotals.NAME
                + ") kept changing under " + ATTEMPTS + " attempts");
    }

    /** Forgets the stored totals of the namespace's quotas not among {@code existing} (uids): the last quota of a namespace deleted. */
    public synchronized void forget(String namespace, Set<String> existing) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            AdmissionTotals.Read read = store.read(namespace);
            StoredTotals stored = readable(namespace, read);
            if (read.current() == null || stored == null) {
                return;
            }
            StoredTotals wanted = stored.retain(existing, clock.instant());
            if (wanted.equals(stored) || store.write(namespace, read, wanted)) {
                return;
            }
        }
    }

    /** Stops flushing, then flushes what is left: a replica stopping on purpose loses nothing. */
    @Override
    public void close() {
        ScheduledExecutorService running;
        synchronized (this) {
            running = timer;
            timer = null;
        }
        if (running != null) {
            running.shutdown();
            try {
                running.awaitTermination(PERIOD.toMillis() * 5, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        flushQuietly();
    }

    /**
     * A flush that went unanswered and is stored now counts as flushed. One that is not stored yet is in
     * the next flush (its counts were not marked), and is remembered until a write of this replica
     * succeeds: that write's resourceVersion precondition is then newer than the unanswered one's, which
     * can no longer be stored; should it be stored first, that write fails and the next read settles it.
     */
    private void settle(String namespace, AdmissionTotals.Read read) {
        for (Flush pending : unanswered.getOrDefault(namespace, List.of())) {
            if (read.totals().applied(replica, pending.id())) {
                // All were conditioned on the state this one changed: the others can no longer be stored.
                pending.upTo().forEach((key, count) -> flushed.merge(key, count, Math::max));
                unanswered.remove(namespace);
                return;
            }
        }
    }

    /** Per quota uid, what the counts hold beyond what was flushed. */
    private Map<String, StoredTotals.Delta> deltas(Map<AdmissionCounts.Key, Long> upTo, Predicate<AdmissionCounts.Key> which) {
        Map<String, StoredTotals.Delta> deltas = new HashMap<>();
        upTo.forEach((key, count) -> {
            long delta = count - flushed.getOrDefault(key, 0L);
            if (delta <= 0 || !which.test(key)) {
                return;
            }
            JobQuotaStatuses.Totals totals = switch (key.kind()) {
                case ADMITTED -> new JobQuotaStatuses.Totals(delta, 0, 0);
                case REFUSED -> new JobQuotaStatuses.Totals(0, delta, 0);
                case DRY_RUN -> new JobQuotaStatuses.Totals(0, 0, delta);
            };
            deltas.merge(key.quotaUid(), new StoredTotals.Delta(key.quota(), totals),
                    (a, b) -> new StoredTotals.Delta(a.name(), a.totals().plus(b.totals())));
        });
        return deltas;
    }

    /** The stored totals, or null (logged once for each problem) when they cannot be read. */
    private StoredTotals readable(String namespace, AdmissionTotals.Read read) {
        if (read.unreadable() == null) {
            unreadableLogged.remove(namespace);
            return read.totals();
        }
        if (!read.unreadable().equals(unreadableLogged.put(namespace, read.unreadable()))) {
            LOG.warn("The JobQuota totals of namespace {} (ConfigMap {}) cannot be read ({}): this replica's decisions are kept in memory"
                    + " and the statuses keep their totals until it is repaired, or deleted (the leader then starts again from the statuses)",
                    namespace, AdmissionTotals.NAME, read.unreadable());
        }
        return null;
    }

    private static JobQuotaStatuses.Totals reported(JobQuota quota) {
        JobQuotaStatus status = quota.getStatus();
        return status == null ? new JobQuotaStatuses.Totals(0, 0, 0)
                : new JobQuotaStatuses.Totals(orZero(status.admittedTotal()), orZero(status.refusedTotal()), orZero(status.dryRunOverLimitTotal()));
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
