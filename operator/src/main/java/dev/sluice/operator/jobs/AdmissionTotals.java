package dev.sluice.operator.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/**
 * The status totals of a namespace's JobQuotas, kept in the API server (ConfigMap {@value #NAME}) so
 * that the decisions of every replica add up: each replica adds what it decided since its last flush
 * ({@link TotalsFlusher}) with a resourceVersion precondition, and the leader reports the sum. It is kept
 * apart from the {@link AdmissionLedger} on purpose: a flush never changes the ledger's resourceVersion,
 * so it never makes a webhook's ledger write fail and the decision start again.
 */
public final class AdmissionTotals {
    public static final String NAME = "sluice-job-totals";
    public static final String KEY = "totals.json";
    /** The label the leader's informer selects the totals by, in every namespace. */
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final String COMPONENT = "jobquota-totals";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final KubernetesClient client;

    public AdmissionTotals(KubernetesClient client) {
        this.client = client;
    }

    /**
     * The totals as stored now; {@code current} is null when there are none yet.
     *
     * @param unreadable why the stored totals could not be read, or null; {@code totals} is then empty and must not be written over them
     */
    public record Read(StoredTotals totals, ConfigMap current, String unreadable) {
    }

    public Read read(String namespace) {
        return parse(client.configMaps().inNamespace(namespace).withName(NAME).get());
    }

    /**
     * The totals a ConfigMap holds ({@code current} may be null: none yet). Totals that cannot be read are
     * never taken for none: writing over them would lose every count they held, so they are reported,
     * and left for a person to repair or delete (then the leader starts again from the statuses).
     */
    static Read parse(ConfigMap current) {
        if (current == null) {
            return new Read(StoredTotals.EMPTY, null, null);
        }
        String stored = current.getData() == null ? null : current.getData().get(KEY);
        if (stored == null) {
            return new Read(StoredTotals.EMPTY, current, "key " + KEY + " is missing");
        }
        try {
            StoredTotals totals = JSON.readValue(stored, StoredTotals.class);
            if (totals == null) {
                return new Read(StoredTotals.EMPTY, current, KEY + " holds null");
            }
            for (Map.Entry<String, StoredTotals.Quota> quota : totals.quotas().entrySet()) {
                String problem = problem(quota.getValue());
                if (problem != null) {
                    return new Read(StoredTotals.EMPTY, current, KEY + ": quota " + quota.getKey() + " " + problem);
                }
            }
            for (Map.Entry<String, StoredTotals.Flush> flush : totals.flushes().entrySet()) {
                if (flush.getValue() == null || flush.getValue().id() == null || flush.getValue().at() == null) {
                    return new Read(StoredTotals.EMPTY, current, KEY + ": flush of replica " + flush.getKey() + " has no id or time");
                }
            }
            return new Read(totals, current, null);
        } catch (JsonProcessingException e) {
            return new Read(StoredTotals.EMPTY, current, KEY + " is not the totals' JSON: " + e.getOriginalMessage());
        }
    }

    /** The totals as the ConfigMap holds them. */
    static String json(StoredTotals totals) {
        try {
            return JSON.writeValueAsString(totals);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String problem(StoredTotals.Quota quota) {
        if (quota == null) {
            return "is null";
        }
        if (quota.admitted() < 0 || quota.refused() < 0 || quota.dryRunOverLimit() < 0) {
            return "has a negative count (admitted " + quota.admitted() + ", refused " + quota.refused() + ", dryRunOverLimit "
                    + quota.dryRunOverLimit() + ")";
        }
        return quota.since() == null ? "has no since time" : null;
    }

    /** Replaces the totals, on the condition that they are still as {@code previous} read them; false when they are not. */
    public boolean write(String namespace, Read previous, StoredTotals totals) {
        if (previous.unreadable() != null) {
            throw new IllegalArgumentException("the totals of namespace " + namespace + " could not be read (" + previous.unreadable()
                    + "); writing over them would lose what they held");
        }
        String body = json(totals);
        return GuardedConfigMap.replace(client, namespace, previous.current(), NAME, Map.of(COMPONENT_LABEL, COMPONENT),
                "JobQuota status totals, added to by every operator replica", KEY, body);
    }
}
