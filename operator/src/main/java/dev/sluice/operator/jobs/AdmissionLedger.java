package dev.sluice.operator.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The tickets of a namespace's admissions that a list of its Jobs may not show yet, kept in the
 * API server (ConfigMap {@value #NAME}), not in memory. Every decision that lets a Job run writes it
 * with a resourceVersion precondition first: two deciders (two replicas, or an old and a new leader)
 * cannot both act on the same count, and a restarted operator sees what its predecessor admitted.
 */
public final class AdmissionLedger {
    public static final String NAME = "sluice-job-admissions";
    public static final String KEY = "tickets.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;

    public AdmissionLedger(KubernetesClient client) {
        this.client = client;
    }

    /** The ledger as stored now; {@code current} is null when there is none yet. */
    public record Read(List<Ticket> tickets, ConfigMap current) {
    }

    public Read read(String namespace) {
        return parse(client.configMaps().inNamespace(namespace).withName(NAME).get());
    }

    /** The ledger a ConfigMap holds; {@code current} may be null (no ledger yet). */
    static Read parse(ConfigMap current) {
        if (current == null || current.getData() == null || current.getData().get(KEY) == null) {
            return new Read(List.of(), current);
        }
        try {
            List<Entry> entries = JSON.readValue(current.getData().get(KEY), new TypeReference<List<Entry>>() { });
            return new Read(entries.stream().map(Entry::ticket).toList(), current);
        } catch (JsonProcessingException e) {
            // A hand-edited, unreadable ledger: start afresh; the next write replaces it.
            return new Read(List.of(), current);
        }
    }

    /** Replaces the tickets, on the condition that the ledger is still as {@code previous} read it; false when it is not. */
    public boolean write(String namespace, Read previous, List<Ticket> tickets) {
        String body;
        try {
            body = JSON.writeValueAsString(tickets.stream().map(Entry::of).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try {
            if (previous.current() == null) {
                client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
                        .withNewMetadata().withName(NAME).withNamespace(namespace)
                        .addToLabels("app.kubernetes.io/managed-by", "sluice")
                        .addToAnnotations("sluice.dev/description",
                                "Job admissions the API server may not show yet (JobQuota); written by the Sluice operator")
                        .endMetadata()
                        .addToData(KEY, body)
                        .build()).create();
            } else {
                client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder(previous.current())
                        .withData(Map.of(KEY, body))
                        .build()).update();
            }
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return false;
            }
            throw e;
        }
    }

    /** A ticket as the ledger stores it. */
    record Entry(String id, String kind, String job, boolean named, Map<String, String> labels, String issuedAt, String notBefore) {
        static Entry of(Ticket ticket) {
            return new Entry(ticket.id(), ticket.kind().name(), ticket.job(), ticket.named(), ticket.labels(), ticket.issuedAt().toString(),
                    ticket.notBefore() == null ? null : ticket.notBefore().toString());
        }

        Ticket ticket() {
            Instant issued = JobView.parse(issuedAt);
            return new Ticket(id, Ticket.Kind.valueOf(kind), job, named, labels, issued == null ? Instant.EPOCH : issued, JobView.parse(notBefore));
        }
    }
}
