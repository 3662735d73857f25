package dev.sluice.operator.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.ArrayList;
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

    /**
     * The ledger as stored now; {@code current} is null when there is none yet.
     *
     * @param unreadable why the stored ledger could not be read, or null; {@code tickets} then holds
     *     {@link Ticket#unreadableLedger} in its place, which the caller writes over it
     */
    public record Read(List<Ticket> tickets, ConfigMap current, String unreadable) {
        public Read {
            tickets = List.copyOf(tickets);
        }
    }

    public Read read(String namespace, Instant now) {
        return parse(client.configMaps().inNamespace(namespace).withName(NAME).get(), now);
    }

    /**
     * The ledger a ConfigMap holds ({@code current} may be null: no ledger yet). A ledger that cannot
     * be read in full, whether hand-edited or damaged, is never taken for an empty one: the admissions
     * it recorded are unknown, and reading it as empty would hand their slots out again.
     */
    static Read parse(ConfigMap current, Instant now) {
        if (current == null) {
            return new Read(List.of(), null, null);
        }
        String stored = current.getData() == null ? null : current.getData().get(KEY);
        if (stored == null) {
            return unreadable(current, "key " + KEY + " is missing", now);
        }
        try {
            List<Entry> entries = JSON.readValue(stored, new TypeReference<List<Entry>>() { });
            if (entries == null) {
                return unreadable(current, KEY + " holds null, not a list of tickets", now);
            }
            List<Ticket> tickets = new ArrayList<>();
            for (Entry entry : entries) {
                tickets.add(entry.ticket(now));
            }
            return new Read(tickets, current, null);
        } catch (JsonProcessingException e) {
            return unreadable(current, KEY + " is not a list of tickets: " + e.getOriginalMessage(), now);
        } catch (IllegalArgumentException e) {
            return unreadable(current, KEY + " holds a ticket that cannot be read: " + e.getMessage(), now);
        }
    }

    private static Read unreadable(ConfigMap current, String problem, Instant now) {
        return new Read(List.of(Ticket.unreadableLedger(problem, now)), current, problem);
    }

    /** Replaces the tickets, on the condition that the ledger is still as {@code previous} read it; false when it is not. */
    public boolean write(String namespace, Read previous, List<Ticket> tickets) {
        String body;
        try {
            body = JSON.writeValueAsString(tickets.stream().map(Entry::of).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return GuardedConfigMap.replace(client, namespace, previous.current(), NAME, Map.of(),
                "Job admissions the API server may not show yet (JobQuota)", KEY, body);
    }

    /** A ticket as the ledger stores it. */
    record Entry(String id, String kind, String job, boolean named, Map<String, String> labels, String issuedAt, String notBefore) {
        static Entry of(Ticket ticket) {
            return new Entry(ticket.id(), ticket.kind().name(), ticket.job(), ticket.named(), ticket.labels(), ticket.issuedAt().toString(),
                    ticket.notBefore() == null ? null : ticket.notBefore().toString());
        }

        /** The ticket, read strictly: a ticket that cannot be told when it lapses, or what it counts for, is no ticket. */
        Ticket ticket(Instant now) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("a ticket without an id");
            }
            Ticket.Kind known;
            try {
                known = Ticket.Kind.valueOf(String.valueOf(kind));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ticket " + id + " has kind " + kind + ", not one of " + List.of(Ticket.Kind.values()));
            }
            Instant issued = JobView.parse(issuedAt);
            if (issued == null) {
                throw new IllegalArgumentException("ticket " + id + " has issuedAt " + issuedAt + ", not an RFC 3339 time");
            }
            // Clocks of replicas differ by far less than a ticket's lifetime; a ticket from further ahead would never lapse.
            if (issued.isAfter(now.plus(Ticket.TTL))) {
                throw new IllegalArgumentException("ticket " + id + " was issued at " + issuedAt + ", in the future");
            }
            Instant notBeforeTime = JobView.parse(notBefore);
            if (notBefore != null && notBeforeTime == null) {
                throw new IllegalArgumentException("ticket " + id + " has notBefore " + notBefore + ", not an RFC 3339 time");
            }
            return new Ticket(id, known, job, named, labels, issued, notBeforeTime);
        }
    }
}
