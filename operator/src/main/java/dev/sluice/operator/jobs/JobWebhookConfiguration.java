package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchConditionBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two admission webhook configurations, written by the operator: how the API server reaches the
 * webhooks (URL or Service, and the CA bundle to trust them by), and the namespaces they are called
 * for — exactly those with a JobQuota, by {@code kubernetes.io/metadata.name}, so that Jobs elsewhere
 * never depend on the operator. Each is written only when it differs.
 *
 * <ul>
 *   <li>{@code MutatingWebhookConfiguration} {@value #NAME}: every Job {@code CREATE} (admitted,
 *       queued or refused).
 *   <li>{@code ValidatingWebhookConfiguration} {@value #UPDATES_NAME}: Job {@code UPDATE}s that are
 *       admission decisions, picked out by {@link #matchConditions} (CEL, evaluated by the API
 *       server): only those wait on the operator; every other update, and every update the operator
 *       makes itself, never reaches it.
 * </ul>
 *
 * <p>{@code failurePolicy: Fail}: when the operator cannot be reached, the requests they cover are
 * refused rather than let through, which would break the maximum.
 */
public final class JobWebhookConfiguration implements WebhookScope {
    public static final String NAME = "sluice-jobs";
    public static final String WEBHOOK = "jobs.sluice.dev";
    public static final String PATH = "/jobs/mutate";
    public static final String UPDATES_NAME = "sluice-job-updates";
    public static final String UPDATES_WEBHOOK = "job-updates.sluice.dev";
    public static final String UPDATES_PATH = "/jobs/validate";
    public static final int TIMEOUT_SECONDS = 10;
    private static final String NAMESPACE_LABEL = "kubernetes.io/metadata.name";
    private static final Logger LOG = LoggerFactory.getLogger(JobWebhookConfiguration.class);

    private final KubernetesClient client;
    private final WebhookClientConfig creations;
    private final WebhookClientConfig updates;
    private final List<MatchCondition> matchConditions;
    private Set<String> covered = Set.of();
    private boolean written;
    private final Set<String> answering = ConcurrentHashMap.newKeySet();

    /**
     * @param url the base URL the API server calls, or null for {@code service}
     * @param service namespace, name and port of the Service, when {@code url} is null
     * @param caPem the CA to trust the webhook by; null keeps what the configuration has (cert-manager's CA injector writes it)
     * @param operatorUser the user name of the operator's own requests, which the update webhook never sees
     */
    public JobWebhookConfiguration(KubernetesClient client, String url, String[] service, int servicePort, String caPem, String operatorUser) {
        this.client = client;
        this.creations = clientConfig(url, service, servicePort, caPem, PATH);
        this.updates = clientConfig(url, service, servicePort, caPem, UPDATES_PATH);
        this.matchConditions = matchConditions(operatorUser);
    }

    private static WebhookClientConfig clientConfig(String url, String[] service, int servicePort, String caPem, String path) {
        WebhookClientConfigBuilder config = new WebhookClientConfigBuilder();
        if (url != null) {
            config.withUrl(url.replaceAll("/+$", "") + path);
        } else {
            config.withNewService().withNamespace(service[0]).withName(service[1]).withPort(servicePort).withPath(path).endService();
        }
        if (caPem != null) {
            config.withCaBundle(Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)));
        }
        return config.build();
    }

    /**
     * Which requests reach the update webhook: not the operator's, and only an update that un-suspends
     * a Job, changes Sluice's marks (or {@code spec.suspend}) on a Job Sluice holds, or gives a Job
     * Kueue's label; or the dry-run probe. An un-suspend of a Job Kueue manages (its label before
     * and after) is Kueue's. Every other update never waits on the operator, up or down.
     */
    static List<MatchCondition> matchConditions(String operatorUser) {
        String oldSuspended = "(has(oldObject.spec.suspend) && oldObject.spec.suspend == true)";
        String newSuspended = "(has(object.spec.suspend) && object.spec.suspend == true)";
        String held = "(" + oldSuspended + " && " + has("oldObject", "labels", JobMarks.QUEUED_LABEL)
                + " && oldObject.metadata.labels['" + JobMarks.QUEUED_LABEL + "'] == 'true')";
        String marksChanged = Stream.concat(
                        JobMarks.QUEUE_LABELS.stream().map(key -> differs("labels", key)),
                        JobMarks.QUEUE_ANNOTATIONS.stream().map(key -> differs("annotations", key)))
                .collect(Collectors.joining(" || ", "(" + oldSuspended + " != " + newSuspended + " || ", ")"));
        String kueueBefore = has("oldObject", "labels", JobMarks.KUEUE_QUEUE_NAME);
        String kueueAfter = has("object", "labels", JobMarks.KUEUE_QUEUE_NAME);
        String update = "request.operation == 'UPDATE' && ("
                + held + " && " + marksChanged
                + " || " + oldSuspended + " && !" + newSuspended + " && !(" + kueueBefore + " && " + kueueAfter + ")"
                + " || !" + kueueBefore + " && " + kueueAfter + ")";
        String probe = "request.operation == 'CREATE' && " + has("object", "labels", JobMarks.WEBHOOK_PROBE);
        // The probe is the operator's own creation: only its updates are left out.
        String notTheOperator = "request.operation != 'UPDATE' || request.userInfo.username != '"
                + operatorUser.replace("\\", "\\\\").replace("'", "\\'") + "'";
        return List.of(
                new MatchConditionBuilder().withName("updates-not-by-the-operator").withExpression(notTheOperator).build(),
                new MatchConditionBuilder().withName("admission-decision").withExpression(probe + " || " + update).build());
    }

    private static String has(String object, String map, String key) {
        return "(has(" + object + ".metadata." + map + ") && '" + key + "' in " + object + ".metadata." + map + ")";
    }

    private static String differs(String map, String key) {
        String before = has("oldObject", map, key);
        String after = has("object", map, key);
        return "(" + before + " != " + after + " || " + before + " && " + after
                + " && oldObject.metadata." + map + "['" + key + "'] != object.metadata." + map + "['" + key + "'])";
    }

    @Override
    public synchronized void cover(Set<String> namespaces) {
        Set<String> desired = new TreeSet<>(namespaces);
        if (written && desired.equals(covered)) {
            return;
        }
        boolean creationsWritten = write(client.admissionRegistration().v1().mutatingWebhookConfigurations(), NAME,
                current -> mutating(current, desired), MutatingWebhookConfiguration::getWebhooks);
        boolean updatesWritten = write(client.admissionRegistration().v1().validatingWebhookConfigurations(), UPDATES_NAME,
                current -> validating(current, desired), ValidatingWebhookConfiguration::getWebhooks);
        if (creationsWritten && updatesWritten) {
            covered = Set.copyOf(desired);
            written = true;
            LOG.info("Job admission webhooks cover namespaces {}", desired);
        }
    }

    /** Creates or updates one configuration unless it is as desired already; false when it kept changing under us. */
    private static <T extends HasMetadata> boolean write(NonNamespaceOperation<T, ?, Resource<T>> configurations, String name,
            Function<T, T> desired, Function<T, List<?>> webhooks) {
        for (int attempt = 0; attempt < 3; attempt++) {
            T current = configurations.withName(name).get();
            T next = desired.apply(current);
            try {
                if (current == null) {
                    configurations.resource(next).create();
                } else if (!webhooks.apply(current).equals(webhooks.apply(next))) {
                    configurations.resource(next).update();
                }
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw e;
                }
            }
        }
        LOG.warn("{} kept changing; will try again", name);
        return false;
    }

    /**
     * Written is not yet in force: the API server reads webhook configurations through a cache of its
     * own. A namespace is covered once a dry-run probe Job created there shows both webhooks answer:
     * the mutating one marks it, and the update webhook refuses it for that mark.
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
            client.batch().v1().jobs().inNamespace(namespace).resource(new JobBuilder()
                    .withNewMetadata().withGenerateName("sluice-webhook-probe-").addToLabels(JobMarks.WEBHOOK_PROBE, "true").endMetadata()
                    .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never")
                    .addNewContainer().withName("probe").withImage("probe").endContainer().endSpec().endTemplate().endSpec()
                    .build()).dryRun().create();
            LOG.debug("Webhook probe in namespace {}: the update webhook did not answer yet", namespace);
        } catch (KubernetesClientException e) {
            if (e.getMessage() != null && e.getMessage().contains(JobUpdateWebhook.PROBE_ANSWER)) {
                answering.add(namespace);
                return true;
            }
            LOG.debug("Webhook probe in namespace {} failed: {}", namespace, e.getMessage());
        }
        return false;
    }

    private MutatingWebhookConfiguration mutating(MutatingWebhookConfiguration current, Set<String> namespaces) {
        WebhookClientConfig config = withCurrentCa(creations, current == null ? null : current.getWebhooks().stream()
                .map(MutatingWebhook::getClientConfig).findFirst().orElse(null));
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
                .withNamespaceSelector(namespaceSelector(namespaces))
                .withNewObjectSelector().endObjectSelector()
                .build();
        MutatingWebhookConfigurationBuilder builder = current == null ? new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(NAME).addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                : new MutatingWebhookConfigurationBuilder(current);
        return builder.withWebhooks(webhook).build();
    }

    private ValidatingWebhookConfiguration validating(ValidatingWebhookConfiguration current, Set<String> namespaces) {
        WebhookClientConfig config = withCurrentCa(updates, current == null ? null : current.getWebhooks().stream()
                .map(ValidatingWebhook::getClientConfig).findFirst().orElse(null));
        ValidatingWebhook webhook = new ValidatingWebhookBuilder()
                .withName(UPDATES_WEBHOOK)
                .withAdmissionReviewVersions("v1")
                .withClientConfig(config)
                .addNewRule().withApiGroups("batch").withApiVersions("v1").withOperations("CREATE", "UPDATE").withResources("jobs")
                .withScope("Namespaced").endRule()
                .withMatchConditions(matchConditions)
                .withFailurePolicy("Fail")
                .withMatchPolicy("Equivalent")
                .withSideEffects("NoneOnDryRun")
                .withTimeoutSeconds(TIMEOUT_SECONDS)
                .withNamespaceSelector(namespaceSelector(namespaces))
                .withNewObjectSelector().endObjectSelector()
                .build();
        ValidatingWebhookConfigurationBuilder builder = current == null ? new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(UPDATES_NAME).addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                : new ValidatingWebhookConfigurationBuilder(current);
        return builder.withWebhooks(webhook).build();
    }

    /** Without a CA of its own (cert-manager's CA injector writes it), the configuration keeps the one it has. */
    private static WebhookClientConfig withCurrentCa(WebhookClientConfig config, WebhookClientConfig current) {
        if (config.getCaBundle() != null || current == null) {
            return config;
        }
        return new WebhookClientConfigBuilder(config).withCaBundle(current.getCaBundle()).build();
    }

    private static LabelSelector namespaceSelector(Set<String> namespaces) {
        LabelSelectorBuilder selector = new LabelSelectorBuilder();
        if (namespaces.isEmpty()) {
            // Matches no namespace: In needs at least one value.
            selector.addNewMatchExpression().withKey("sluice.dev/no-job-quota").withOperator("Exists").endMatchExpression();
        } else {
            selector.addNewMatchExpression().withKey(NAMESPACE_LABEL).withOperator("In").withValues(List.copyOf(namespaces)).endMatchExpression();
        }
        return selector.build();
    }
}
