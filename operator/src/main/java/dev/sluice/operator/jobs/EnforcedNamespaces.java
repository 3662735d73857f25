package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespaces the Job admission webhooks are called for. The chart's webhook configurations select
 * namespaces by the label {@value #LABEL}{@code =}{@value #VALUE} (and never the operator's own
 * namespace or kube-system); the operator sets it on each namespace that holds a JobQuota, removes it
 * when the namespace's last JobQuota goes, and sets it again when someone removes it while a JobQuota
 * is there. Jobs in every other namespace never depend on the operator.
 */
public final class EnforcedNamespaces implements WebhookScope {
    public static final String LABEL = "sluice.dev/job-quota";
    public static final String VALUE = "enforced";
    private static final Logger LOG = LoggerFactory.getLogger(EnforcedNamespaces.class);

    private final KubernetesClient client;
    private final Set<String> watched;
    private volatile Set<String> covered = Set.of();
    private final Set<String> answering = ConcurrentHashMap.newKeySet();
    /** The last failure to label each namespace, logged once. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    /** @param watched the namespaces the operator watches (empty: all); it never unlabels one outside them */
    public EnforcedNamespaces(KubernetesClient client, Set<String> watched) {
        this.client = client;
        this.watched = Set.copyOf(watched);
    }

    /** What to change so that exactly {@code desired} carry the label, touching no namespace outside {@code watched} (empty: all). */
    record Changes(Set<String> label, Set<String> unlabel) {
    }

    static Changes changes(Set<String> desired, Set<String> labelled, Set<String> watched) {
        Set<String> label = new TreeSet<>(desired);
        label.removeAll(labelled);
        Set<String> unlabel = new TreeSet<>(labelled);
        unlabel.removeAll(desired);
        unlabel.removeIf(namespace -> !watched.isEmpty() && !watched.contains(namespace));
        return new Changes(label, unlabel);
    }

    @Override
    public synchronized void cover(Set<String> namespaces, Set<String> labelled) {
        Changes changes = changes(namespaces, labelled, watched);
        covered = Set.copyOf(namespaces);
        for (String namespace : changes.label()) {
            // Labelled anew: the API server calls the webhooks there only once it has seen the label.
            answering.remove(namespace);
            if (label(namespace, VALUE)) {
                LOG.info("Labelled namespace {} {}={}: the Job admission webhooks are called there", namespace, LABEL, VALUE);
            }
        }
        for (String namespace : changes.unlabel()) {
            answering.remove(namespace);
            if (label(namespace, null)) {
                LOG.info("Removed label {} from namespace {}: it holds no JobQuota", LABEL, namespace);
            }
        }
    }

    /**
     * Removes the label from each of {@code labelled} within the watched namespaces, JobQuota or not:
     * the operator is being uninstalled, and a webhook no operator answers must not be called there.
     *
     * @return the namespaces whose label could not be removed, each with why
     */
    public synchronized Map<String, String> uncoverAll(Set<String> labelled) {
        Map<String, String> failed = new TreeMap<>();
        for (String namespace : changes(Set.of(), labelled, watched).unlabel()) {
            answering.remove(namespace);
            if (label(namespace, null)) {
                LOG.info("Removed label {} from namespace {}: the operator is being uninstalled", LABEL, namespace);
            } else if (failures.containsKey(namespace)) {
                failed.put(namespace, failures.get(namespace));
            }
        }
        covered = Set.of();
        return failed;
    }

    /** Sets the label to {@code value}, or removes it (null); false when the namespace is gone or the patch failed (logged). */
    private boolean label(String namespace, String value) {
        Map<String, Object> labels = new HashMap<>();
        labels.put(LABEL, value);
        String patch = client.getKubernetesSerialization().asJson(Map.of("metadata", Map.of("labels", labels)));
        try {
            client.namespaces().withName(namespace).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            failures.remove(namespace);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND && !String.valueOf(e.getMessage()).equals(failures.put(namespace, e.getMessage()))) {
                LOG.warn("Could not {} label {} of namespace {} ({}); the Job admission webhooks are not called there as they should be"
                        + " until it works", value == null ? "remove the" : "set the", LABEL, namespace, e.getMessage());
            }
            return false;
        }
    }

    /**
     * Labelled is not yet in force: the API server reads namespaces and webhook configurations through
     * caches of its own. A namespace is covered once a dry-run probe Job created there shows both
     * webhooks answer: the mutating one marks it, and the update webhook refuses it for that mark.
     */
    @Override
    public boolean covers(String namespace) {
        if (!covered.contains(namespace)) {
            answering.remove(namespace);
            return false;
        }
        if (answering.contains(namespace)) {
            return true;
        }
        try {
            client.batch().v1().jobs().inNamespace(namespace).resource(new JobBuilder()
                    .withNewMetadata().withGenerateName("sluice-webhook-probe-").addToLabels(JobMarks.WEBHOOK_PROBE, "true").endMetadata()
                    .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                    .addNewContainer().withName("probe").withImage("probe").endContainer().endSpec().endTemplate().endSpec()
                    .build()).dryRun().create();
            LOG.debug("Webhook probe in namespace {}: the webhooks did not answer yet", namespace);
        } catch (KubernetesClientException e) {
            if (e.getMessage() != null && e.getMessage().contains(JobUpdateWebhook.PROBE_ANSWER)) {
                answering.add(namespace);
                return true;
            }
            LOG.debug("Webhook probe in namespace {} failed: {}", namespace, e.getMessage());
        }
        return false;
    }
}
