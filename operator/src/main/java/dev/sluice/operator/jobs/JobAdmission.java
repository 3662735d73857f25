package dev.sluice.operator.jobs;

import com.sun.net.httpserver.HttpHandler;
import dev.sluice.operator.status.EventRecorder;
import dev.sluice.operator.status.StatusWriter;
import dev.sluice.operator.webhook.AdmissionEndpoint;
import dev.sluice.operator.webhook.CertificateRotation;
import dev.sluice.operator.webhook.OperatorIdentity;
import dev.sluice.operator.webhook.WebhookConfigurations;
import dev.sluice.operator.webhook.WebhookServer;
import dev.sluice.operator.webhook.WebhookSettings;
import dev.sluice.operator.webhook.WebhookTls;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobQuota enforcement, wired: the TLS material and its rotation (which writes the CA bundle into the
 * chart's webhook configurations), the HTTPS webhook server, the namespaces the webhooks are called
 * for and the admission reconciler, all sharing one {@link NamespaceAdmission}, and the flushing of the
 * replica's decisions into the status totals ({@link TotalsFlusher}). Every replica serves the webhooks
 * (the reconciler runs on the leader only); the server starts before the configurations are told to trust it.
 */
public final class JobAdmission implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobAdmission.class);

    private final JobQuotaReconciler reconciler;
    private final WebhookServer server;
    private final CertificateRotation rotation;
    private final TotalsFlusher totals;

    private JobAdmission(JobQuotaReconciler reconciler, WebhookServer server, CertificateRotation rotation, TotalsFlusher totals) {
        this.reconciler = reconciler;
        this.server = server;
        this.rotation = rotation;
        this.totals = totals;
    }

    /** @param otherWebhooks more handlers by path for the same server (the pod injection webhook); ignored when the webhook is off */
    public static JobAdmission start(KubernetesClient client, WebhookSettings settings, Set<String> watchedNamespaces,
            MeterRegistry registry, EventRecorder recorder, StatusWriter statusWriter, Clock clock, Map<String, HttpHandler> otherWebhooks) {
        JobEvents events = new JobEvents(recorder);
        AdmissionCounts counts = new AdmissionCounts();
        JobQuotaMetrics metrics = JobQuotaMetrics.view(counts, registry);
        NamespaceAdmission admission = new NamespaceAdmission(client, counts, events, clock);
        TotalsFlusher totals = new TotalsFlusher(counts, new AdmissionTotals(client), clock).start();
        if (!settings.enabled()) {
            LOG.warn("The Job admission webhook is off: JobQuotas report, but new Jobs are not held");
            return new JobAdmission(new JobQuotaReconciler(admission, counts, totals, events, statusWriter, WebhookScope.NONE, clock), null, null,
                    totals);
        }
        String[] service = settings.service() == null ? null : WebhookSettings.service(settings.service(), client.getNamespace());
        WebhookTls tls = WebhookTls.of(client, settings, WebhookSettings.hosts(settings, service), clock);
        CertificateRotation rotation = CertificateRotation.load(tls,
                tls.ownCa() ? new WebhookConfigurations(client, settings.configurations()) : null, clock);
        String operatorUser = OperatorIdentity.fromServiceAccountToken(OperatorIdentity.SERVICE_ACCOUNT_TOKEN).orElse(null);
        KubernetesSerialization serialization = client.getKubernetesSerialization();
        JobAdmissionWebhook creations = new JobAdmissionWebhook(admission, metrics, events, serialization, clock);
        JobUpdateWebhook updates = new JobUpdateWebhook(admission, events, serialization, operatorUser);
        Map<String, HttpHandler> handlers = new HashMap<>(otherWebhooks);
        handlers.put(JobAdmissionWebhook.PATH, new AdmissionEndpoint(serialization, creations::respond));
        handlers.put(JobUpdateWebhook.PATH, new AdmissionEndpoint(serialization, updates::respond));
        WebhookServer server;
        try {
            server = WebhookServer.start(settings.bindAddress(), settings.port(), rotation.keys().sslContext(), handlers);
        } catch (IOException e) {
            rotation.close();
            totals.close();
            throw new UncheckedIOException("cannot listen on " + settings.bindAddress() + ":" + settings.port() + " for the Job admission webhook", e);
        }
        rotation.start();
        LOG.info("Admission webhooks {} serving on {}:{} with the certificate from {}; {}; updates by {} let through",
                new TreeSet<>(handlers.keySet()), settings.bindAddress(), server.port(), tls.source(), tls.ownCa() ? "CA bundle written into " + settings.configurations()
                        : "the CA bundle is cert-manager's to write", operatorUser == null ? "no user (not in a pod)" : operatorUser);
        EnforcedNamespaces scope = new EnforcedNamespaces(client, watchedNamespaces);
        return new JobAdmission(new JobQuotaReconciler(admission, counts, totals, events, statusWriter, scope, clock), server, rotation, totals);
    }

    public JobQuotaReconciler reconciler() {
        return reconciler;
    }

    /** The webhook server's port, or -1 when it is off. */
    public int webhookPort() {
        return server == null ? -1 : server.port();
    }

    /** Null when the API server can call this replica's webhooks (or there are none); otherwise why not. */
    public String notReady() {
        return rotation == null ? null : rotation.notReady();
    }

    /** Stops serving, then adds what this replica decided since its last flush to the stored totals. */
    @Override
    public void close() {
        if (rotation != null) {
            rotation.close();
        }
        if (server != null) {
            server.close();
        }
        totals.close();
    }
}
