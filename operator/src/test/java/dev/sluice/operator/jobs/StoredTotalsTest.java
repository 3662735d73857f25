package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The stored totals as pure functions: flushes added, a status seeded once, deleted quotas forgotten, bad documents named. */
class StoredTotalsTest {
    private static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void flushesAddUpPerQuotaUidAndEachReplicaIsRememberedByItsLastFlush() {
        StoredTotals totals = StoredTotals.EMPTY
                .add(Map.of("uid-a", delta("a", 2, 1, 0)), "replica-1", "flush-1", NOW)
                .add(Map.of("uid-a", delta("a", 3, 0, 0), "uid-b", delta("b", 0, 0, 4)), "replica-2", "flush-2", NOW.plusSeconds(1));

        assertThat(totals.quotas().get("uid-a").totals()).isEqualTo(new JobQuotaStatuses.Totals(5, 1, 0));
        assertThat(totals.quotas().get("uid-b").totals()).isEqualTo(new JobQuotaStatuses.Totals(0, 0, 4));
        assertThat(totals.applied("replica-1", "flush-1")).isTrue();
        assertThat(totals.applied("replica-2", "flush-1")).isFalse();

        StoredTotals later = totals.add(Map.of(), "replica-2", "flush-3", NOW.plus(StoredTotals.FLUSH_MEMORY).plusSeconds(1));
        assertThat(later.flushes()).as("a replica not heard of for an hour is forgotten").containsOnlyKeys("replica-2");
    }

    @Test
    void theStatusIsSeededOnceIntoWhatReplicasFlushedBeforeTheLeaderSawTheQuota() {
        StoredTotals flushed = StoredTotals.EMPTY.add(Map.of("uid-a", delta("a", 2, 0, 0)), "replica-2", "f", NOW);

        StoredTotals seeded = flushed.seed("uid-a", "a", new JobQuotaStatuses.Totals(130, 3, 0), NOW);

        assertThat(seeded.quotas().get("uid-a").totals()).isEqualTo(new JobQuotaStatuses.Totals(132, 3, 0));
        assertThat(seeded.quotas().get("uid-a").seeded()).isTrue();
        assertThat(seeded.seed("uid-a", "a", new JobQuotaStatuses.Totals(132, 3, 0), NOW)).as("seeded once").isSameAs(seeded);
        assertThat(StoredTotals.EMPTY.seed("uid-new", "a", new JobQuotaStatuses.Totals(0, 0, 0), NOW).quotas().get("uid-new").totals())
                .as("a quota created again (new uid) starts from zero").isEqualTo(new JobQuotaStatuses.Totals(0, 0, 0));
    }

    @Test
    void deletedQuotasAreForgottenAndAQuotaTheLeaderHasNotSeenYetIsKeptAWhile() {
        StoredTotals totals = StoredTotals.EMPTY
                .seed("uid-gone", "a", new JobQuotaStatuses.Totals(5, 0, 0), NOW)
                .seed("uid-kept", "b", new JobQuotaStatuses.Totals(1, 0, 0), NOW)
                .add(Map.of("uid-unseen", delta("c", 1, 0, 0)), "replica-2", "f", NOW);

        assertThat(totals.retain(Set.of("uid-kept"), NOW.plusSeconds(5)).quotas()).containsOnlyKeys("uid-kept", "uid-unseen");
        assertThat(totals.retain(Set.of("uid-kept"), NOW.plus(StoredTotals.UNSEEN_QUOTA_MEMORY).plus(Duration.ofSeconds(1))).quotas())
                .containsOnlyKeys("uid-kept");
        assertThat(totals.retain(Set.of("uid-kept", "uid-gone", "uid-unseen"), NOW)).isSameAs(totals);
    }

    @Test
    void storedTotalsThatCannotBeReadAreNamedAndNeverTakenForNone() {
        assertThat(AdmissionTotals.parse(null).unreadable()).isNull();
        assertThat(AdmissionTotals.parse(configMap("[1, 2]")).unreadable()).startsWith("totals.json is not the totals' JSON");
        assertThat(AdmissionTotals.parse(configMap("{\"quotas\":{\"uid-a\":{\"name\":\"a\",\"admitted\":-1,\"refused\":0,"
                + "\"dryRunOverLimit\":0,\"seeded\":true,\"since\":\"2026-01-01T10:00:00Z\"}},\"flushes\":{}}")).unreadable())
                .isEqualTo("totals.json: quota uid-a has a negative count (admitted -1, refused 0, dryRunOverLimit 0)");
        assertThat(AdmissionTotals.parse(new ConfigMapBuilder().withNewMetadata().withName(AdmissionTotals.NAME).endMetadata().build()).unreadable())
                .isEqualTo("key totals.json is missing");

        StoredTotals totals = StoredTotals.EMPTY.add(Map.of("uid-a", delta("a", 2, 1, 0)), "replica-1", "flush-1", NOW);
        AdmissionTotals.Read read = AdmissionTotals.parse(configMap(AdmissionTotals.json(totals)));
        assertThat(read.unreadable()).isNull();
        assertThat(read.totals()).as("what is written reads back the same").isEqualTo(totals);
    }

    private static ConfigMap configMap(String body) {
        return new ConfigMapBuilder().withNewMetadata().withName(AdmissionTotals.NAME).endMetadata().addToData(AdmissionTotals.KEY, body).build();
    }

    private static StoredTotals.Delta delta(String name, long admitted, long refused, long dryRun) {
        return new StoredTotals.Delta(name, new JobQuotaStatuses.Totals(admitted, refused, dryRun));
    }
}
