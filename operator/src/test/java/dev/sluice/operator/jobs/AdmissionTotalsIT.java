package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The status totals of replicas that each count their own decisions, against one ConfigMap on the
 * mock API server: flushes at once from both replicas, conflicts and unanswered writes, a leader
 * reporting what it has not flushed yet, a new leader after the old one stopped, an upgrade from
 * totals kept only in the status, and a quota created again under its old name.
 */
@EnableKubernetesMockClient(crud = true)
class AdmissionTotalsIT {
    private static final String PATH = "/api/v1/namespaces/%s/configmaps";
    static KubernetesClient client;
    static KubernetesMockServer server;

    /** One replica: what it counts, and its flusher (not started: the test says when it flushes). */
    private record Replica(AdmissionCounts counts, TotalsFlusher flusher) {
        static Replica start() {
            AdmissionCounts counts = new AdmissionCounts();
            return new Replica(counts, new TotalsFlusher(counts, new AdmissionTotals(client), Clock.systemUTC()));
        }
    }

    @Test
    void twoReplicasFlushingAtOnceCountEveryDecisionOnce() throws Exception {
        String namespace = "at-once";
        JobQuota quota = quota(namespace, "quota", "uid-1", null);
        List<Replica> replicas = List.of(Replica.start(), Replica.start());
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int thread = 0; thread < 8; thread++) {
                Replica replica = replicas.get(thread % 2);
                work.add(threads.submit(() -> {
                    for (int decision = 1; decision <= 40; decision++) {
                        replica.counts().admitted(namespace, ref(quota), "creation");
                        if (decision % 4 == 0) {
                            replica.counts().refused(namespace, ref(quota), "limit");
                            replica.flusher().flush();
                        }
                    }
                }));
            }
            for (Future<?> done : work) {
                done.get();
            }
        } finally {
            threads.shutdownNow();
        }
        replicas.forEach(replica -> replica.flusher().close());

        assertThat(stored(namespace, "uid-1")).as("8 threads x 40 admissions and 10 refusals, over two replicas")
                .isEqualTo(new JobQuotaStatuses.Totals(320, 80, 0));
        assertThat(Replica.start().flusher().totals(quota, Set.of("uid-1"))).isEqualTo(new JobQuotaStatuses.Totals(320, 80, 0));
    }

    @Test
    void aConflictingOrUnansweredWriteIsReadAgainAndAddedOnce() {
        String namespace = "conflicts";
        JobQuota quota = quota(namespace, "quota", "uid-1", null);
        // A client that does not retry by itself, so that the write below that fails is not hidden by its retries: perhaps stored, perhaps not.
        KubernetesClient unretried = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                .withRequestRetryBackoffLimit(0).build()).build();
        AdmissionCounts counts = new AdmissionCounts();
        Replica replica = new Replica(counts, new TotalsFlusher(counts, new AdmissionTotals(unretried), Clock.systemUTC()));
        String configMaps = String.format(PATH, namespace);
        // The other replica creating the ConfigMap first, then changing it, between this one's read and write.
        server.expect().post().withPath(configMaps).andReturn(409, new StatusBuilder().withCode(409).withReason("AlreadyExists").build()).once();
        replica.counts().admitted(namespace, ref(quota), "creation");
        replica.flusher().flush();
        assertThat(stored(namespace, "uid-1")).isEqualTo(new JobQuotaStatuses.Totals(1, 0, 0));

        server.expect().put().withPath(configMaps + "/" + AdmissionTotals.NAME)
                .andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict").build()).once();
        replica.counts().admitted(namespace, ref(quota), "queue");
        replica.counts().dryRunOverLimit(namespace, ref(quota));
        replica.flusher().flush();
        assertThat(stored(namespace, "uid-1")).isEqualTo(new JobQuotaStatuses.Totals(2, 0, 1));

        server.expect().put().withPath(configMaps + "/" + AdmissionTotals.NAME)
                .andReturn(500, new StatusBuilder().withCode(500).withMessage("etcdserver: request timed out").build()).once();
        replica.counts().refused(namespace, ref(quota), "backoff");
        replica.flusher().flush();
        assertThat(stored(namespace, "uid-1")).as("not stored, and kept").isEqualTo(new JobQuotaStatuses.Totals(2, 0, 1));
        assertThat(replica.flusher().totals(quota, Set.of("uid-1"))).as("what the leader reports meanwhile")
                .isEqualTo(new JobQuotaStatuses.Totals(2, 1, 1));
        replica.flusher().flush();
        assertThat(stored(namespace, "uid-1")).isEqualTo(new JobQuotaStatuses.Totals(2, 1, 1));
        replica.flusher().flush();
        assertThat(stored(namespace, "uid-1")).as("flushed once").isEqualTo(new JobQuotaStatuses.Totals(2, 1, 1));
        unretried.close();
    }

    @Test
    void theLeaderReportsWhatItHasNotFlushedAndTheNextLeaderWhatTheStoppedOneFlushedOnItsWayOut() {
        String namespace = "handover";
        JobQuota quota = quota(namespace, "quota", "uid-1", null);
        Replica leader = Replica.start();
        Replica other = Replica.start();
        for (int i = 0; i < 4; i++) {
            other.counts().admitted(namespace, ref(quota), "creation");
        }
        other.flusher().flush();
        for (int i = 0; i < 3; i++) {
            leader.counts().admitted(namespace, ref(quota), "queue");
        }

        assertThat(leader.flusher().totals(quota, Set.of("uid-1"))).isEqualTo(new JobQuotaStatuses.Totals(7, 0, 0));
        other.counts().refused(namespace, ref(quota), "limit");
        assertThat(leader.flusher().totals(quota, Set.of("uid-1"))).as("the other replica's decision, once it flushes")
                .isEqualTo(new JobQuotaStatuses.Totals(7, 0, 0));
        other.flusher().flush();
        assertThat(leader.flusher().totals(quota, Set.of("uid-1"))).isEqualTo(new JobQuotaStatuses.Totals(7, 1, 0));

        leader.counts().admitted(namespace, ref(quota), "queue");
        leader.flusher().close();
        Replica next = Replica.start();
        assertThat(next.flusher().totals(quota, Set.of("uid-1"))).isEqualTo(new JobQuotaStatuses.Totals(8, 1, 0));
        next.counts().admitted(namespace, ref(quota), "queue");
        assertThat(next.flusher().totals(quota, Set.of("uid-1"))).isEqualTo(new JobQuotaStatuses.Totals(9, 1, 0));
    }

    @Test
    void theStatusOfAnOperatorThatStoredNoTotalsIsCarriedOnOnceAndAQuotaCreatedAgainStartsFromZero() {
        String namespace = "upgrade";
        JobQuota upgraded = quota(namespace, "quota", "uid-1", new JobQuotaStatus(1L, List.of(), 0, 0, 130L, 3L, 1L, null));
        Replica other = Replica.start();
        other.counts().admitted(namespace, ref(upgraded), "creation");
        other.counts().admitted(namespace, ref(upgraded), "creation");
        other.flusher().flush();
        Replica leader = Replica.start();

        JobQuotaStatuses.Totals first = leader.flusher().totals(upgraded, Set.of("uid-1"));
        assertThat(first).as("the status's totals and what was flushed before the leader saw the quota").isEqualTo(new JobQuotaStatuses.Totals(132, 3, 1));
        JobQuota written = quota(namespace, "quota", "uid-1", new JobQuotaStatus(1L, List.of(), 0, 0, 132L, 3L, 1L, null));
        assertThat(leader.flusher().totals(written, Set.of("uid-1"))).as("carried on once").isEqualTo(first);
        assertThat(Replica.start().flusher().totals(written, Set.of("uid-1"))).as("by a new leader too").isEqualTo(first);

        // Deleted, with a decision another replica flushes late, and created again under the same name.
        other.counts().admitted(namespace, ref(upgraded), "creation");
        JobQuota again = quota(namespace, "quota", "uid-2", null);
        leader.flusher().forget(namespace, Set.of());
        other.flusher().flush();
        assertThat(leader.flusher().totals(again, Set.of("uid-2"))).isEqualTo(new JobQuotaStatuses.Totals(0, 0, 0));
        other.counts().admitted(namespace, ref(again), "creation");
        other.flusher().flush();
        assertThat(leader.flusher().totals(again, Set.of("uid-2"))).isEqualTo(new JobQuotaStatuses.Totals(1, 0, 0));
        assertThat(new AdmissionTotals(client).read(namespace).totals().quotas()).as("the deleted quota's totals forgotten, but a late flush's")
                .containsOnlyKeys("uid-1", "uid-2")
                .hasEntrySatisfying("uid-1", late -> assertThat(late.totals()).isEqualTo(new JobQuotaStatuses.Totals(1, 0, 0)));
    }

    private static JobQuotaStatuses.Totals stored(String namespace, String uid) {
        AdmissionTotals.Read read = new AdmissionTotals(client).read(namespace);
        assertThat(read.unreadable()).isNull();
        return read.totals().quotas().get(uid).totals();
    }

    private static AdmissionCounts.QuotaRef ref(JobQuota quota) {
        return new AdmissionCounts.QuotaRef(quota.getMetadata().getName(), quota.getMetadata().getUid());
    }

    private static JobQuota quota(String namespace, String name, String uid, JobQuotaStatus status) {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withUid(uid).withGeneration(1L).build());
        quota.setSpec(JobQuotaSpec.of(3));
        quota.setStatus(status);
        return quota;
    }
}
