package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.operator.jobs.CreateDecision.Outcome;
import dev.sluice.operator.render.validation.JobQuotaValidation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where admission decisions are taken, for the webhooks (a Job being created, a Job being updated by
 * someone other than the operator) and the reconciler (queued Jobs to resume). Decisions of one namespace are serialised: in this process by a fair lock
 * (so that concurrent creations are decided in arrival order), across processes (every replica serves
 * the webhooks) by the {@link AdmissionLedger}'s resourceVersion precondition. Each decision rests on a
 * fresh list of the namespace's Jobs and quotas from the API server, never on an informer cache, plus
 * the tickets of the admissions and queueings that list may not show yet, all kept in the ledger: what
 * one replica decided, the others count.
 */
public final class NamespaceAdmission {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceAdmission.class);
    private static final int ATTEMPTS = 10;

    private final KubernetesClient client;
    private final AdmissionLedger ledger;
    private final AdmissionCounts counts;
    private final JobEvents events;
    private final Clock clock;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public NamespaceAdmission(KubernetesClient client, AdmissionCounts counts, JobEvents events, Clock clock) {
        this.client = client;
        this.ledger = new AdmissionLedger(client);
        this.counts = counts;
        this.events = events;
        this.clock = clock;
    }

    /**
     * The decision for a Job being created, and what to write on it.
     *
     * @param ticket ADMIT and QUEUE: the Job's {@link JobMarks#TICKET}
     * @param queuedAt QUEUE: the Job's {@link JobMarks#QUEUED_AT}
     * @param priority QUEUE under a Priority quota without priorityLabel: the PriorityClass value, else null
     */
    public record CreateAdmission(CreateDecision decision, String ticket, Instant queuedAt, Long priority) {
    }

    /** What the reconciler learns from one pass over a namespace. */
    public record Pass(List<JobQuota> quotas, NamespaceState state, List<JobView> resumed, Instant nextCheck) {
    }

    /**
     * Decides a Job being created (not suspended by its owner), and counts the decision. A dry-run
     * request writes and counts nothing.
     */
    public CreateAdmission admitCreate(Job job, boolean dryRun) {
        String namespace = job.getMetadata().getNamespace();
        JobView candidate = JobView.of(job);
        return locked(namespace, () -> {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                List<JobQuota> listed = quotas(namespace);
                List<QuotaRules> quotas = rules(listed);
                if (quotas.stream().noneMatch(quota -> quota.selects(candidate.labels()))) {
                    return new CreateAdmission(new CreateDecision(Outcome.UNGOVERNED, null, null, List.of(), List.of()), null, null, null);
                }
                Instant now = clock.instant();
                AdmissionLedger.Read read = ledger.read(namespace, now);
                if (read.unreadable() != null && !dryRun) {
                    seal(namespace, read);
                    continue;
                }
                List<Job> jobs = jobs(namespace);
                String exactName = job.getMetadata().getName();
                if (exactName != null && jobs.stream().anyMatch(existing -> exactName.equals(existing.getMetadata().getName()))) {
                    // The create will fail with AlreadyExists: reserve nothing for it.
                    return new CreateAdmission(new CreateDecision(Outcome.UNGOVERNED, null, null, List.of(), List.of()), null, null, null);
                }
                List<JobView> views = jobs.stream().map(JobView::of).toList();
                List<Ticket> ledgerTickets = unsettled(read.tickets(), views, now);
                NamespaceState state = new NamespaceState(namespace, views, ledgerTickets);
                CreateDecision decision = AdmissionDecider.decideCreate(candidate, quotas, state, now);
                String ticket = UUID.randomUUID().toString();
                CreateAdmission admission;
                if (decision.outcome() == Outcome.ADMIT) {
                    if (!dryRun) {
                        Ticket admitted = new Ticket(ticket, Ticket.Kind.CREATE, candidate.name(), exactName != null, candidate.labels(), now, null);
                        if (!ledger.write(namespace, read, concat(ledgerTickets, List.of(admitted)))) {
                            continue;
                        }
                    }
                    admission = new CreateAdmission(decision, ticket, null, null);
                } else if (decision.outcome() == Outcome.QUEUE) {
                    Instant queuedAt = nextQueuedAt(ledgerTickets, now);
                    if (!dryRun) {
                        // Issued at its queued-at time: the next queueing, on whichever replica, comes after it.
                        Ticket queued = new Ticket(ticket, Ticket.Kind.QUEUE, candidate.name(), exactName != null, candidate.labels(), queuedAt,
                                decision.notBefore());
                        if (!ledger.write(namespace, read, concat(ledgerTickets, List.of(queued)))) {
                            continue;
                        }
                    }
                    admission = new CreateAdmission(decision, ticket, queuedAt, priorityClassValue(candidate, quotas));
                } else {
                    admission = new CreateAdmission(decision, null, null, null);
                }
                if (!dryRun) {
                    count(namespace, listed, decision);
                }
                return admission;
            }
            throw new IllegalStateException("the admission ledger of namespace " + namespace + " kept changing under "
                    + ATTEMPTS + " attempts; retry the creation");
        });
    }

    /** Counts a creation's decision for the quotas it was taken by, as they were listed for it (a quota's uid tells it from a namesake). */
    private void count(String namespace, List<JobQuota> listed, CreateDecision decision) {
        switch (decision.outcome()) {
            case ADMIT -> decision.quotas().forEach(quota -> counts.admitted(namespace, ref(listed, quota), "creation"));
            case REFUSE -> decision.quotas().forEach(quota -> counts.refused(namespace, ref(listed, quota),
                    decision.message().startsWith("job queue full") ? "queue_full"
                            : decision.message().contains("failure backoff") ? "backoff" : "limit"));
            default -> {
            }
        }
        decision.dryRun().forEach(finding -> counts.dryRunOverLimit(namespace, ref(listed, finding.quota())));
    }

    private static AdmissionCounts.QuotaRef ref(List<JobQuota> listed, String name) {
        String uid = listed.stream().filter(quota -> name.equals(quota.getMetadata().getName())).findFirst()
                .map(quota -> quota.getMetadata().getUid())
                .orElseThrow(() -> new IllegalStateException("a decision names JobQuota " + name + ", which its list did not hold"));
        return new AdmissionCounts.QuotaRef(name, uid);
    }

    /**
     * Decides an update of a Job made by anyone but the operator ({@link AdmissionDecider#decideUpdate}).
     * An owner's un-suspend that is admitted is recorded in the ledger before it is let through, as
     * an admission at creation is. The decision is counted; a dry-run request writes and counts nothing.
     */
    public UpdateDecision admitUpdate(Job before, Job after, boolean dryRun) {
        String namespace = after.getMetadata().getNamespace();
        JobView old = JobView.of(before);
        JobView updated = JobView.of(after);
        return locked(namespace, () -> {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                List<JobQuota> listed = quotas(namespace);
                List<QuotaRules> quotas = rules(listed);
                if (quotas.isEmpty()) {
                    return UpdateDecision.letThrough();
                }
                Instant now = clock.instant();
                AdmissionLedger.Read read = ledger.read(namespace, now);
                if (read.unreadable() != null && !dryRun) {
                    seal(namespace, read);
                    continue;
                }
                List<JobView> views = jobs(namespace).stream().map(JobView::of).toList();
                List<Ticket> ledgerTickets = unsettled(read.tickets(), views, now);
                NamespaceState state = new NamespaceState(namespace, views, ledgerTickets);
                UpdateDecision decision = AdmissionDecider.decideUpdate(old, updated, quotas, state, now);
                if (decision.outcome() == Outcome.ADMIT && !dryRun) {
                    Ticket resuming = new Ticket(updated.uid(), Ticket.Kind.RESUME, updated.name(), true, updated.labels(), now, null);
                    if (!ledger.write(namespace, read, concat(ledgerTickets, List.of(resuming)))) {
                        continue;
                    }
                }
                if (!dryRun && decision.outcome() == Outcome.ADMIT) {
                    decision.quotas().forEach(quota -> counts.admitted(namespace, ref(listed, quota), "unsuspend"));
                } else if (!dryRun && decision.outcome() == Outcome.REFUSE) {
                    decision.quotas().forEach(quota -> counts.refused(namespace, ref(listed, quota), "update"));
                }
                return decision;
            }
            throw new IllegalStateException("the admission ledger of namespace " + namespace + " kept changing under "
                    + ATTEMPTS + " attempts; retry the update");
        });
    }

    /** Resumes queued Jobs of the namespace while there is room, each with a resourceVersion precondition. */
    public Pass admitQueued(String namespace) {
        return resumeQueued(namespace, false);
    }

    /**
     * Resumes every queued Job of the namespace, as deleting its last JobQuota does, though its quotas
     * stay: the operator is being uninstalled, and nothing would ever admit them. Recorded in the
     * ledger and announced as {@link #admitQueued} does.
     */
    public Pass releaseQueued(String namespace) {
        return resumeQueued(namespace, true);
    }

    /** @param releaseAll resume every queued Job, as if no quota selected any; else only those the quotas have room for */
    private Pass resumeQueued(String namespace, boolean releaseAll) {
        return locked(namespace, () -> {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                List<JobQuota> quotas = quotas(namespace);
                List<QuotaRules> rules = releaseAll ? List.of() : rules(quotas);
                Instant now = clock.instant();
                AdmissionLedger.Read read = ledger.read(namespace, now);
                if (read.unreadable() != null) {
                    seal(namespace, read);
                    continue;
                }
                List<Job> jobs = jobs(namespace);
                List<JobView> views = jobs.stream().map(JobView::of).toList();
                List<Ticket> ledgerTickets = unsettled(read.tickets(), views, now);
                NamespaceState state = new NamespaceState(namespace, views, ledgerTickets);
                ResumePlan plan = AdmissionDecider.planResumes(rules, state, now);
                if (plan.resume().isEmpty()) {
                    return new Pass(quotas, state, List.of(), plan.nextCheck());
                }
                List<Ticket> resuming = plan.resume().stream()
                        .map(resume -> new Ticket(resume.job().uid(), Ticket.Kind.RESUME, resume.job().name(), true, resume.job().labels(), now, null))
                        .toList();
                List<Ticket> recorded = concat(ledgerTickets, resuming);
                if (!ledger.write(namespace, read, recorded)) {
                    continue;
                }
                Map<String, Job> byUid = jobs.stream().collect(Collectors.toMap(job -> job.getMetadata().getUid(), Function.identity()));
                List<JobView> resumed = new ArrayList<>();
                List<String> failed = new ArrayList<>();
                for (ResumePlan.Resume resume : plan.resume()) {
                    Job stored = byUid.get(resume.job().uid());
                    try {
                        Job updated = client.batch().v1().jobs().inNamespace(namespace).resource(resumed(stored, now)).update();
                        resumed.add(JobView.of(updated));
                        resume.quotas().forEach(quota -> counts.admitted(namespace, ref(quotas, quota), "queue"));
                        events.admitted(updated, releaseAll ? "released: the Sluice operator is being uninstalled"
                                : resume.quotas().isEmpty()
                                ? "released: no JobQuota in Enforce mode selects it any more"
                                : "admitted by JobQuota " + String.join(", ", resume.quotas()) + " after waiting "
                                        + AdmissionDecider.human(java.time.Duration.between(resume.job().queuedAt(), now)));
                    } catch (KubernetesClientException e) {
                        LOG.info("Could not resume Job {}/{} ({}); it stays queued", namespace, resume.job().name(), e.getMessage());
                        failed.add(resume.job().uid());
                    }
                }
                if (!failed.isEmpty()) {
                    // Free the slots of Jobs that did not resume now, rather than after the tickets lapse.
                    AdmissionLedger.Read fresh = ledger.read(namespace, clock.instant());
                    ledger.write(namespace, fresh, fresh.tickets().stream().filter(t -> !failed.contains(t.id())).toList());
                }
                List<JobView> after = views.stream()
                        .map(view -> resumed.stream().filter(r -> r.uid().equals(view.uid())).findFirst().orElse(view))
                        .toList();
                List<Ticket> remaining = ledgerTickets.stream().filter(t -> !t.settled(after, now)).toList();
                return new Pass(quotas, new NamespaceState(namespace, after, remaining), resumed, plan.nextCheck());
            }
            throw new IllegalStateException("the admission ledger of namespace " + namespace + " kept changing under " + ATTEMPTS + " attempts");
        });
    }

    /**
     * Writes the ticket that stands in for an unreadable ledger over it, so that every replica, and
     * this one after a restart, holds back for as long as the first to see it does. When the write
     * loses a race, the caller reads again: someone else wrote the ledger meanwhile.
     */
    private void seal(String namespace, AdmissionLedger.Read read) {
        if (ledger.write(namespace, read, read.tickets())) {
            Ticket seal = read.tickets().get(0);
            LOG.warn("The admission ledger of namespace {} (ConfigMap {}) could not be read ({}); no Job is admitted there before {},"
                    + " when every admission it may have recorded has been stored or lapsed", namespace, AdmissionLedger.NAME,
                    read.unreadable(), seal.lapsesAt());
        }
    }

    /** The valid, not deleted, quotas of a namespace, compiled. */
    public static List<QuotaRules> rules(List<JobQuota> quotas) {
        return quotas.stream()
                .filter(quota -> quota.getMetadata().getDeletionTimestamp() == null && JobQuotaValidation.validate(quota).isEmpty())
                .map(QuotaRules::of)
                .toList();
    }

    private List<JobQuota> quotas(String namespace) {
        return client.resources(JobQuota.class).inNamespace(namespace).list().getItems();
    }

    private List<Job> jobs(String namespace) {
        return client.batch().v1().jobs().inNamespace(namespace).list().getItems();
    }

    private static Job resumed(Job stored, Instant now) {
        return new JobBuilder(stored)
                .editSpec().withSuspend(false).endSpec()
                .editMetadata().removeFromLabels(JobMarks.QUEUED_LABEL).addToAnnotations(JobMarks.ADMITTED_AT, now.toString()).endMetadata()
                .build();
    }

    /**
     * A queued-at time after that of every queueing whose Job the list does not show yet (the ledger's
     * QUEUE tickets, issued at their queued-at time, by any replica), so that FIFO order is the order of
     * decisions. Once a Job shows, its ticket settles and the clock has moved past it; between replicas,
     * their clocks' skew is the precision.
     */
    static Instant nextQueuedAt(List<Ticket> tickets, Instant now) {
        Instant last = tickets.stream().filter(ticket -> ticket.kind() == Ticket.Kind.QUEUE).map(Ticket::issuedAt)
                .max(Comparator.naturalOrder()).orElse(null);
        return last != null && !now.isAfter(last) ? last.plusNanos(1000) : now;
    }

    private Long priorityClassValue(JobView job, List<QuotaRules> quotas) {
        boolean needed = quotas.stream().anyMatch(quota -> quota.selects(job.labels())
                && quota.queueOrder() == JobQuotaSpec.QueueOrder.Priority && quota.priorityLabel() == null);
        if (!needed || job.priorityClassName() == null) {
            return null;
        }
        try {
            PriorityClass priorityClass = client.scheduling().v1().priorityClasses().withName(job.priorityClassName()).get();
            return priorityClass == null || priorityClass.getValue() == null ? null : priorityClass.getValue().longValue();
        } catch (KubernetesClientException e) {
            LOG.warn("Could not read PriorityClass {}: {}", job.priorityClassName(), e.getMessage());
            return null;
        }
    }

    private static List<Ticket> unsettled(List<Ticket> tickets, List<JobView> jobs, Instant now) {
        return tickets.stream().filter(ticket -> !ticket.settled(jobs, now)).toList();
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private <T> T locked(String namespace, java.util.function.Supplier<T> decision) {
        ReentrantLock lock = locks.computeIfAbsent(namespace, ns -> new ReentrantLock(true));
        lock.lock();
        try {
            return decision.get();
        } finally {
            lock.unlock();
        }
    }
}
