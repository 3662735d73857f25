package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.operator.status.EventRecorder;
import dev.sluice.operator.status.StatusWriter;
import dev.sluice.operator.webhook.AdmissionEndpoint;
import dev.sluice.operator.webhook.OperatorIdentity;
import dev.sluice.operator.webhook.WebhookCertificates;
import dev.sluice.operator.webhook.WebhookServer;
import dev.sluice.operator.webhook.WebhookSettings;
import dev.sluice.operator.webhook.WebhookTls;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobQuota enforcement, wired: the TLS material, the HTTPS webhook server, the webhook configuration
 * (with the CA bundle and the namespaces under a JobQuota) and the admission reconciler, all sharing
 * one {@link NamespaceAdmission}. The server starts before the configuration points at it.
 */
public final class JobAdmission implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobAdmission.class);

    private final JobQuotaReconciler reconciler;
    private final WebhookServer server;

    private JobAdmission(JobQuotaReconciler reconciler, WebhookServer server) {
        this.reconciler = reconciler;
        this.server = server;
    }

    public static JobAdmission start(KubernetesClient client, WebhookSettings settings, Set<String> watchedNamespaces,
            MeterRegistry registry, EventRecorder recorder, StatusWriter statusWriter, Clock clock) {
        JobEvents events = new JobEvents(recorder);
        AdmissionCounts counts = new AdmissionCounts();
        JobQuotaMetrics metrics = JobQuotaMetrics.view(counts, registry);
        NamespaceAdmission admission = new NamespaceAdmission(client, counts, events, clock);
        if (!settings.enabled()) {
            LOG.warn("The Job admission webhook is off: JobQuotas report, but new Jobs are not held");
            return new JobAdmission(new JobQuotaReconciler(admission, counts, events, statusWriter, WebhookScope.NONE, clock), null);
        }
        String[] service = settings.service() == null ? null : WebhookSettings.service(settings.service(), client.getNamespace());
        Set<String> hosts = WebhookSettings.hosts(settings, service);
        WebhookCertificates certificates = WebhookTls.load(client, settings, hosts, clock);
        String operatorUser = OperatorIdentity.username(client);
        KubernetesSerialization serialization = client.getKubernetesSerialization();
        JobAdmissionWebhook creations = new JobAdmissionWebhook(admission, counts, metrics, events, serialization, clock);
        JobUpdateWebhook updates = new JobUpdateWebhook(admission, counts, events, serialization, operatorUser);
        WebhookServer server;
        try {
            server = WebhookServer.start(settings.bindAddress(), settings.port(), certificates.sslContext(), Map.of(
                    JobWebhookConfiguration.PATH, new AdmissionEndpoint(serialization, creations::respond),
                    JobWebhookConfiguration.UPDATES_PATH, new AdmissionEndpoint(serialization, updates::respond)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + settings.bindAddress() + ":" + settings.port() + " for the Job admission webhook", e);
        }
        String url = settings.url() != null ? settings.url()
                : service == null ? "https://127.0.0.1:" + server.port() : null;
        JobWebhookConfiguration configuration = new JobWebhookConfiguration(client, url, service,
                service == null ? 0 : Integer.parseInt(service[2]), certificates.caPem(), operatorUser);
        configuration.cover(namespacesWithQuotas(client, watchedNamespaces));
        LOG.info("Job admission webhooks serving on {}:{}, called at {} (updates by anyone but {})", settings.bindAddress(), server.port(),
                url != null ? url : "service " + String.join("/", service), operatorUser);
        return new JobAdmission(new JobQuotaReconciler(admission, counts, events, statusWriter, configuration, clock), server);
    }

    public JobQuotaReconciler reconciler() {
        return reconciler;
    }

    /** The webhook server's port, or -1 when it is off. */
    public int webhookPort() {
        return server == null ? -1 : server.port();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }

    private static Set<String> namespacesWithQuotas(KubernetesClient client, Set<String> watched) {
        try {
            List<JobQuota> quotas = client.resources(JobQuota.class).inAnyNamespace().list().getItems();
            return quotas.stream().filter(quota -> quota.getMetadata().getDeletionTimestamp() == null)
                    .map(quota -> quota.getMetadata().getNamespace())
                    .filter(namespace -> watched.isEmpty() || watched.contains(namespace))
                    .collect(Collectors.toSet());
        } catch (KubernetesClientException e) {
            LOG.warn("Could not list JobQuotas ({}); the webhook covers no namespace until they are reconciled", e.getMessage());
            return Set.of();
        }
    }
}
