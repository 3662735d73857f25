package dev.sluice.operator.uninstall;

import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.jobs.AdmissionCounts;
import dev.sluice.operator.jobs.AdmissionLedger;
import dev.sluice.operator.jobs.AdmissionTotals;
import dev.sluice.operator.jobs.EnforcedNamespaces;
import dev.sluice.operator.jobs.JobEvents;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobView;
import dev.sluice.operator.jobs.NamespaceAdmission;
import dev.sluice.operator.render.ConfigReaderRbac;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.EventRecorder;
import dev.sluice.operator.uninstall.UninstallSettings.ObjectName;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases everything the operator holds, so that once it is gone nothing waits on it: the steps of
 * {@code sluice-operator uninstall}, each logged and each finding nothing to do when run again.
 * The operator is stopped first and, if that fails, nothing else is done (a running replica would undo
 * it); every later step goes on past a failure and reports it, so that one stuck namespace does not keep
 * the others held. Sluice resources, their CRDs and the sidecar ConfigMaps they own stay; the Roles that let pods
 * watch those ConfigMaps go, since no operator keeps them in step any more (the sidecars keep their last configuration).
 */
public final class Uninstall {
    private static final Logger LOG = LoggerFactory.getLogger(Uninstall.class);
    /** The kinds whose reconcilers are JOSDK Cleaners, so each of their resources carries a finalizer. */
    static final List<Class<? extends HasMetadata>> FINALIZED_KINDS = List.of(RateLimitPolicy.class, CircuitBreaker.class, JobQuota.class);

    private final KubernetesClient client;
    private final UninstallSettings settings;
    private final Clock clock;

    public Uninstall(KubernetesClient client, UninstallSettings settings, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Runs every step.
     *
     * @return what could not be released, one line each; empty when everything was
     * @throws UninstallFailure when the operator could not be stopped (nothing else was done)
     */
    public List<String> run() {
        List<String> failures = new ArrayList<>();
        LOG.info("Step 1/6: stopping the operator (Deployment {})", settings.deployment());
        new OperatorStop(client, clock).stop(settings.deployment(), settings.stopTimeout());
        LOG.info("Step 2/6: releasing the Jobs JobQuotas hold, in {}", scope());
        step("release the Jobs JobQuotas hold", failures, () -> releaseJobs(failures));
        LOG.info("Step 3/6: removing Sluice's finalizers from RateLimitPolicies, CircuitBreakers and JobQuotas, in {}", scope());
        for (Class<? extends HasMetadata> kind : FINALIZED_KINDS) {
            step("remove the finalizers of " + kind.getSimpleName() + "s", failures, () -> removeFinalizers(kind, failures));
        }
        LOG.info("Step 4/6: removing the label {} from namespaces", EnforcedNamespaces.LABEL);
        step("remove the label " + EnforcedNamespaces.LABEL + " from namespaces", failures, () -> unlabelNamespaces(failures));
        LOG.info("Step 5/6: deleting the Roles and RoleBindings {} through which sidecars watch their ConfigMap, in {}", ConfigReaderRbac.NAME, scope());
        step("delete the RoleBindings " + ConfigReaderRbac.NAME, failures, () -> deleteConfigReaders(client.rbac().roleBindings(), "RoleBinding", failures));
        step("delete the Roles " + ConfigReaderRbac.NAME, failures, () -> deleteConfigReaders(client.rbac().roles(), "Role", failures));
        LOG.info("Step 6/6: deleting the operator's Lease and webhook Secret");
        step("delete the Lease " + settings.lease(), failures, () -> delete("Lease", settings.lease(), client.leases()));
        step("delete the Secret " + settings.webhookSecret(), failures, () -> delete("Secret", settings.webhookSecret(), client.secrets()));
        return failures;
    }

    /**
     * Queued Jobs resumed, as deleting their JobQuota would ({@link NamespaceAdmission#releaseQueued}), which
     * also drops their {@link JobMarks#QUEUED_LABEL}, the mark that makes a Job Sluice's to admit; then each
     * namespace's admission ledger deleted, whose tickets a reinstalled operator must not count, and its
     * JobQuota totals (the statuses keep theirs, which a reinstalled operator starts from).
     */
    private void releaseJobs(List<String> failures) {
        NamespaceAdmission admission = new NamespaceAdmission(client, new AdmissionCounts(), new JobEvents(new EventRecorder(client, clock)), clock);
        Set<String> holding = list(client.batch().v1().jobs(), JobMarks.QUEUED_LABEL).stream()
                .filter(job -> JobView.of(job).queuedBySluice())
                .map(job -> job.getMetadata().getNamespace())
                .collect(Collectors.toCollection(TreeSet::new));
        if (holding.isEmpty()) {
            LOG.info("No Job is queued");
        }
        for (String namespace : holding) {
            try {
                NamespaceAdmission.Pass pass = admission.releaseQueued(namespace);
                List<String> stillHeld = client.batch().v1().jobs().inNamespace(namespace).withLabel(JobMarks.QUEUED_LABEL).list().getItems().stream()
                        .map(JobView::of).filter(JobView::queuedBySluice).map(JobView::name).sorted().toList();
                LOG.info("Namespace {}: resumed {} queued Job(s) {}", namespace, pass.resumed().size(),
                        pass.resumed().stream().map(JobView::name).sorted().toList());
                if (!stillHeld.isEmpty()) {
                    failures.add("namespace " + namespace + ": Jobs " + stillHeld + " are still queued (see the log for why)");
                }
            } catch (KubernetesClientException | IllegalStateException e) {
                failures.add("namespace " + namespace + ": could not resume its queued Jobs: " + e.getMessage());
            }
        }
        // The totals go with the ledger: the quotas' statuses keep what they reported, and a later install starts from those.
        List<HasMetadata> ledgers = list(client.configMaps(), "app.kubernetes.io/managed-by").stream()
                .filter(configMap -> Set.of(AdmissionLedger.NAME, AdmissionTotals.NAME).contains(configMap.getMetadata().getName()))
                .map(HasMetadata.class::cast)
                .toList();
        for (HasMetadata ledger : ledgers) {
            String namespace = ledger.getMetadata().getNamespace();
            String name = ledger.getMetadata().getName();
            try {
                client.configMaps().inNamespace(namespace).withName(name).delete();
                LOG.info("Deleted the {} {}/{}", AdmissionLedger.NAME.equals(name) ? "admission ledger" : "JobQuota totals", namespace, name);
            } catch (KubernetesClientException e) {
                failures.add("namespace " + namespace + ": could not delete ConfigMap " + name + ": " + e.getMessage());
            }
        }
    }

    private <T extends HasMetadata> void removeFinalizers(Class<T> kind, List<String> failures) {
        Finalizers finalizers = new Finalizers(client);
        String finalizer = Finalizers.of(kind);
        int removed = 0;
        for (T resource : list(client.resources(kind), null)) {
            List<String> present = resource.getMetadata().getFinalizers();
            if (present == null || !present.contains(finalizer)) {
                continue;
            }
            String name = resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
            try {
                if (finalizers.remove(kind, resource)) {
                    removed++;
                    LOG.info("Removed finalizer {} from {} {}", finalizer, kind.getSimpleName(), name);
                }
            } catch (KubernetesClientException e) {
                failures.add(kind.getSimpleName() + " " + name + ": could not remove finalizer " + finalizer + ": " + e.getMessage());
            }
        }
        if (removed == 0) {
            LOG.info("No {} carried the finalizer {}", kind.getSimpleName(), finalizer);
        } else {
            LOG.info("Removed the finalizer {} from {} {}(s)", finalizer, removed, kind.getSimpleName());
        }
    }

    /** The Roles or RoleBindings {@link ConfigReaderRbac#NAME} the operator manages; a same-named one of someone else's stays. */
    private <T extends HasMetadata, L extends KubernetesResourceList<T>> void deleteConfigReaders(MixedOperation<T, L, ?> kind, String kindName,
            List<String> failures) {
        List<T> found = list(kind, SidecarConfigMap.MANAGED_BY_LABEL).stream()
                .filter(item -> ConfigReaderRbac.NAME.equals(item.getMetadata().getName()) && ConfigReaderRbac.isManaged(item.getMetadata()))
                .toList();
        if (found.isEmpty()) {
            LOG.info("No {} {} to delete", kindName, ConfigReaderRbac.NAME);
        }
        for (T item : found) {
            String namespace = item.getMetadata().getNamespace();
            try {
                client.resource(item).delete();
                LOG.info("Deleted {} {}/{}", kindName, namespace, ConfigReaderRbac.NAME);
            } catch (KubernetesClientException e) {
                failures.add("namespace " + namespace + ": could not delete " + kindName + " " + ConfigReaderRbac.NAME + ": " + e.getMessage());
            }
        }
    }

    private void unlabelNamespaces(List<String> failures) {
        Set<String> labelled = client.namespaces().withLabel(EnforcedNamespaces.LABEL).list().getItems().stream()
                .filter(namespace -> namespace.getMetadata().getLabels().get(EnforcedNamespaces.LABEL) != null)
                .map(namespace -> namespace.getMetadata().getName())
                .collect(Collectors.toCollection(TreeSet::new));
        if (labelled.isEmpty()) {
            LOG.info("No namespace carries the label {}", EnforcedNamespaces.LABEL);
        }
        Map<String, String> failed = new EnforcedNamespaces(client, settings.namespaces()).uncoverAll(labelled);
        failed.forEach((namespace, why) -> failures.add("namespace " + namespace + ": could not remove the label "
                + EnforcedNamespaces.LABEL + ": " + why));
    }

    private <T extends HasMetadata> void delete(String kind, ObjectName name, MixedOperation<T, ?, ? extends Resource<T>> operation) {
        if (name == null) {
            LOG.info("No {} to delete (none given)", kind);
            return;
        }
        List<StatusDetails> deleted = operation.inNamespace(name.namespace()).withName(name.name()).delete();
        LOG.info(deleted.isEmpty() ? "{} {} not found: deleted already" : "Deleted {} {}", kind, name);
    }

    /** Runs one step; a failure of the API server is reported as the step's and does not stop the next ones. */
    private static void step(String what, List<String> failures, Runnable step) {
        try {
            step.run();
        } catch (KubernetesClientException e) {
            failures.add("could not " + what + ": " + e.getMessage());
        }
    }

    /** Resources of a kind in the watched namespaces (every namespace when none are listed), those with {@code label} (any value) only if given. */
    private <T extends HasMetadata, L extends KubernetesResourceList<T>> List<T> list(MixedOperation<T, L, ?> kind, String label) {
        if (settings.namespaces().isEmpty()) {
            return (label == null ? kind.inAnyNamespace().list() : kind.inAnyNamespace().withLabel(label).list()).getItems();
        }
        Function<String, L> inNamespace = namespace -> label == null ? kind.inNamespace(namespace).list()
                : kind.inNamespace(namespace).withLabel(label).list();
        return new TreeSet<>(settings.namespaces()).stream().flatMap(namespace -> inNamespace.apply(namespace).getItems().stream()).toList();
    }

    private String scope() {
        return settings.namespaces().isEmpty() ? "all namespaces" : "namespaces " + new TreeSet<>(settings.namespaces());
    }
}
