package dev.sluice.operator.webhook;

import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.WebhookScope;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code MutatingWebhookConfiguration} {@value #NAME}, written by the operator: how the API server
 * reaches the webhook (URL or Service, and the CA bundle to trust it by), and the namespaces it is
 * called for — exactly those with a JobQuota, by {@code kubernetes.io/metadata.name}, so that Job
 * creation elsewhere never depends on the operator. Written only when it differs.
 *
 * <p>{@code failurePolicy: Fail}: when the operator cannot be reached, Job creation in those
 * namespaces is refused rather than let through unsuspended, which would break the maximum.
 */
public final class JobWebhookConfiguration implements WebhookScope {
    public static final String NAME = "sluice-jobs";
    public static final String WEBHOOK = "jobs.sluice.dev";
    public static final String PATH = "/jobs/mutate";
    public static final int TIMEOUT_SECONDS = 10;
    private static final String NAMESPACE_LABEL = "kubernetes.io/metadata.name";
    private static final Logger LOG = LoggerFactory.getLogger(JobWebhookConfiguration.class);

    private final KubernetesClient client;
    private final WebhookClientConfig clientConfig;
    private Set<String> covered = Set.of();
    private boolean written;
    private final Set<String> answering = ConcurrentHashMap.newKeySet();

    /**
     * @param url the base URL the API server calls, or null for {@code service}
     * @param service namespace, name and port of the Service, when {@code url} is null
     * @param caPem the CA to trust the webhook by; null keeps what the configuration has (cert-manager's CA injector writes it)
     */
    public JobWebhookConfiguration(KubernetesClient client, String url, String[] service, int servicePort, String caPem) {
        this.client = client;
        WebhookClientConfigBuilder config = new WebhookClientConfigBuilder();
        if (url != null) {
            config.withUrl(url.replaceAll("/+$", "") + PATH);
        } else {
            config.withNewService().withNamespace(service[0]).withName(service[1]).withPort(servicePort).withPath(PATH).endService();
        }
        if (caPem != null) {
            config.withCaBundle(Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)));
        }
        this.clientConfig = config.build();
    }

    @Override
    public synchronized void cover(Set<String> namespaces) {
        Set<String> desired = new TreeSet<>(namespaces);
        if (written && desired.equals(covered)) {
            return;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            MutatingWebhookConfiguration current = client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(NAME).get();
            MutatingWebhookConfiguration next = desired(current, desired);
            try {
                if (current == null) {
                    client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(next).create();
                } else if (!current.getWebhooks().equals(next.getWebhooks())) {
                    client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(next).update();
                }
                covered = Set.copyOf(desired);
                written = true;
                LOG.info("Job admission webhook covers namespaces {}", desired);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw e;
                }
            }
        }
        LOG.warn("MutatingWebhookConfiguration {} kept changing; will try again", NAME);
    }

    /**
     * Written is not yet in force: the API server reads webhook configurations through a cache of its
     * own. A namespace is covered once a dry-run probe Job created there comes back answered.
     */
    @Override
    public boolean covers(String namespace) {
        synchronized (this) {
            if (!written || !covered.contains(namespace)) {
                answering.remove(namespace);
                return false;
            }
        }
        if (answering.contains(namespace)) {
            return true;
        }
        try {
            Job answered = client.batch().v1().jobs().inNamespace(namespace).resource(new JobBuilder()
                    .withNewMetadata().withGenerateName("sluice-webhook-probe-").addToLabels(JobMarks.WEBHOOK_PROBE, "true").endMetadata()
                    .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                    .addNewContainer().withName("probe").withImage("probe").endContainer().endSpec().endTemplate().endSpec()
                    .build()).dryRun().create();
            if (answered.getMetadata().getAnnotations() != null && answered.getMetadata().getAnnotations().containsKey(JobMarks.WEBHOOK_PROBE)) {
                answering.add(namespace);
                return true;
            }
        } catch (KubernetesClientException e) {
            LOG.debug("Webhook probe in namespace {} failed: {}", namespace, e.getMessage());
        }
        return false;
    }

    private MutatingWebhookConfiguration desired(MutatingWebhookConfiguration current, Set<String> namespaces) {
        WebhookClientConfig config = clientConfig;
        if (config.getCaBundle() == null && current != null && !current.getWebhooks().isEmpty()) {
            config = new WebhookClientConfigBuilder(config).withCaBundle(current.getWebhooks().get(0).getClientConfig().getCaBundle()).build();
        }
        LabelSelectorBuilder selector = new LabelSelectorBuilder();
        if (namespaces.isEmpty()) {
            // Matches no namespace: In needs at least one value.
            selector.addNewMatchExpression().withKey("sluice.dev/no-job-quota").withOperator("Exists").endMatchExpression();
        } else {
            selector.addNewMatchExpression().withKey(NAMESPACE_LABEL).withOperator("In").withValues(List.copyOf(namespaces)).endMatchExpression();
        }
        MutatingWebhook webhook = new MutatingWebhookBuilder()
                .withName(WEBHOOK)
                .withAdmissionReviewVersions("v1")
                .withClientConfig(config)
                .addNewRule().withApiGroups("batch").withApiVersions("v1").withOperations("CREATE").withResources("jobs")
                .withScope("Namespaced").endRule()
                .withFailurePolicy("Fail")
                .withMatchPolicy("Equivalent")
                .withSideEffects("NoneOnDryRun")
                .withTimeoutSeconds(TIMEOUT_SECONDS)
                .withReinvocationPolicy("Never")
                .withNamespaceSelector(selector.build())
                .withNewObjectSelector().endObjectSelector()
                .build();
        MutatingWebhookConfigurationBuilder builder = current == null ? new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(NAME).addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                : new MutatingWebhookConfigurationBuilder(current);
        return builder.withWebhooks(webhook).build();
    }
}
