package dev.sluice.operator.jobs;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaStatus;
import dev.sluice.operator.render.validation.JobQuotaValidation;
import dev.sluice.operator.status.StatusWriter;
import dev.sluice.operator.status.SelectedPods;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Admits queued Jobs: whenever a Job of a namespace under a JobQuota changes (one finishes, one is
 * created or deleted), the quotas of that namespace are reconciled, and queued Jobs are resumed in
 * order while there is room. The Job informer only triggers the pass; the pass itself decides on a
 * fresh list ({@link NamespaceAdmission}). Deleting a quota (or switching it to DryRun) releases the
 * Jobs it held.
 */
@ControllerConfiguration(name = JobQuotaReconciler.NAME)
public final class JobQuotaReconciler implements Reconciler<JobQuota>, Cleaner<JobQuota> {
    public static final String NAME = "jobquota";
    /** A pass every so often even without events, as a safety net for missed ones. */
    static final Duration RECHECK = Duration.ofSeconds(30);
    /** How soon to look again whether the API server calls the webhook for a new quota's namespace. */
    static final Duration WEBHOOK_RECHECK = Duration.ofSeconds(1);

    private final NamespaceAdmission admission;
    private final AdmissionCounts counts;
    private final TotalsFlusher totals;
    private final JobEvents events;
    private final StatusWriter statusWriter;
    private final WebhookScope webhook;
    private final Clock clock;
    /** Every namespace, for the label the webhooks select on; null without a webhook. */
    private volatile InformerEventSource<Namespace, JobQuota> namespaces;

    public JobQuotaReconciler(NamespaceAdmission admission, AdmissionCounts counts, TotalsFlusher totals, JobEvents events,
            StatusWriter statusWriter, WebhookScope webhook, Clock clock) {
        this.admission = admission;
        this.counts = counts;
        this.totals = totals;
        this.events = events;
        this.statusWriter = statusWriter;
        this.webhook = webhook;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, JobQuota>> prepareEventSources(EventSourceContext<JobQuota> context) {
        InformerEventSource<Job, JobQuota> jobs = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(Job.class, JobQuota.class)
                .withName("jobs")
                .withSecondaryToPrimaryMapper(job -> SelectedPods.sameNamespace(context, job))
                .build(), context);
        // The other replicas' flushes: the totals the statuses report changed.
        InformerEventSource<ConfigMap, JobQuota> storedTotals = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(ConfigMap.class, JobQuota.class)
                .withName("totals")
                .withLabelSelector(AdmissionTotals.COMPONENT_LABEL + "=" + AdmissionTotals.COMPONENT)
                .withSecondaryToPrimaryMapper(configMap -> SelectedPods.sameNamespace(context, configMap))
                .build(), context);
        if (!webhook.enabled()) {
            return List.of(jobs, storedTotals);
        }
        // Every namespace (a cluster-scoped kind), whatever the namespaces watched: a change of the label
        // the webhooks select on concerns the quotas of that namespace, which put it back.
        namespaces = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(Namespace.class, JobQuota.class)
                .withName("namespaces")
                .withWatchAllNamespaces()
                .withFollowControllerNamespacesChanges(false)
                .withOnUpdateFilter((after, before) -> !Objects.equals(enforcedLabel(after), enforcedLabel(before)))
                .withSecondaryToPrimaryMapper(namespace -> context.getPrimaryCache().list(namespace.getMetadata().getName())
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        return List.of(jobs, storedTotals, namespaces);
    }

    @Override
    public UpdateControl<JobQuota> reconcile(JobQuota quota, Context<JobQuota> context) {
        String namespace = quota.getMetadata().getNamespace();
        webhook.cover(coveredNamespaces(context, null), labelledNamespaces());
        NamespaceAdmission.Pass pass = admission.admitQueued(namespace);
        announceQueued(namespace, pass);
        List<QuotaRules> rules = NamespaceAdmission.rules(pass.quotas());
        counts.saw(namespace,
                (int) pass.state().jobs().stream().filter(job -> job.active() && rules.stream().anyMatch(q -> q.selects(job.labels()))).count(),
                pass.state().waiting().size(),
                rules.stream().mapToInt(QuotaRules::maxConcurrentJobs).min().orElse(0));
        List<FieldError> errors = JobQuotaValidation.validate(quota);
        boolean covered = webhook.covers(namespace);
        JobQuotaStatus desired = JobQuotaStatuses.desired(quota, errors, pass.state(), totals.totals(quota, uids(pass.quotas(), null)), covered);
        UpdateControl<JobQuota> control = statusWriter.write(quota, desired);
        if (!covered && webhook.enabled() && errors.isEmpty()) {
            control.rescheduleAfter(WEBHOOK_RECHECK);
        } else if (!pass.state().waiting().isEmpty() || pass.nextCheck() != null) {
            Duration wait = RECHECK;
            if (pass.nextCheck() != null) {
                Duration untilBackoffEnds = Duration.between(clock.instant(), pass.nextCheck()).plusMillis(100);
                wait = untilBackoffEnds.compareTo(wait) < 0 ? untilBackoffEnds : wait;
            }
            control.rescheduleAfter(wait.isNegative() ? Duration.ofMillis(100) : wait);
        }
        return control;
    }

    @Override
    public DeleteControl cleanup(JobQuota quota, Context<JobQuota> context) {
        webhook.cover(coveredNamespaces(context, quota), labelledNamespaces());
        NamespaceAdmission.Pass pass = admission.admitQueued(quota.getMetadata().getNamespace());
        totals.forget(quota.getMetadata().getNamespace(), uids(pass.quotas(), quota));
        return DeleteControl.defaultDelete();
    }

    private void announceQueued(String namespace, NamespaceAdmission.Pass pass) {
        for (JobView job : pass.state().waiting()) {
            String reason = job.annotations().getOrDefault(JobMarks.QUEUED_REASON, "queued by a JobQuota");
            events.queued(reference(namespace, job), reason);
        }
    }

    private static Job reference(String namespace, JobView job) {
        return new JobBuilder().withNewMetadata().withName(job.name()).withNamespace(namespace).withUid(job.uid()).endMetadata().build();
    }

    /** The uids of the quotas listed, but for one being deleted. */
    private static Set<String> uids(List<JobQuota> quotas, JobQuota deleted) {
        return quotas.stream().map(quota -> quota.getMetadata().getUid())
                .filter(uid -> deleted == null || !uid.equals(deleted.getMetadata().getUid()))
                .collect(Collectors.toSet());
    }

    private static Set<String> coveredNamespaces(Context<JobQuota> context, JobQuota deleted) {
        return context.getPrimaryCache().list()
                .filter(quota -> quota.getMetadata().getDeletionTimestamp() == null)
                .filter(quota -> deleted == null || !quota.getMetadata().getUid().equals(deleted.getMetadata().getUid()))
                .map(quota -> quota.getMetadata().getNamespace())
                .collect(Collectors.toSet());
    }

    /** The namespaces that carry the label the webhook configurations select on, as the informer sees them. */
    private Set<String> labelledNamespaces() {
        if (namespaces == null) {
            return Set.of();
        }
        return namespaces.list(namespace -> EnforcedNamespaces.VALUE.equals(enforcedLabel(namespace)))
                .map(namespace -> namespace.getMetadata().getName()).collect(Collectors.toSet());
    }

    private static String enforcedLabel(Namespace namespace) {
        return namespace.getMetadata().getLabels() == null ? null : namespace.getMetadata().getLabels().get(EnforcedNamespaces.LABEL);
    }
}
