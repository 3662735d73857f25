package dev.sluice.operator.inject;

import com.sun.net.httpserver.HttpHandler;
import dev.sluice.operator.webhook.AdmissionEndpoint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sidecar injection, wired: the namespaces' modes, the injector and the webhook handler that the
 * operator's webhook server serves at {@link PodInjectionWebhook#PATH} next to the Job webhooks.
 */
public final class PodInjection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodInjection.class);
    /** Never injected: the cluster's own components must not depend on the operator to start. */
    public static final String KUBE_SYSTEM = "kube-system";

    private final InjectionNamespaces namespaces;
    private final PodInjectionWebhook webhook;
    private final KubernetesClient client;

    private PodInjection(InjectionNamespaces namespaces, PodInjectionWebhook webhook, KubernetesClient client) {
        this.namespaces = namespaces;
        this.webhook = webhook;
        this.client = client;
    }

    /** @param operatorNamespace the operator's own namespace, whose pods never get the sidecar */
    public static PodInjection start(KubernetesClient client, InjectionSettings settings, String operatorNamespace, MeterRegistry registry) {
        Set<String> excluded = new LinkedHashSet<>();
        excluded.add(KUBE_SYSTEM);
        if (operatorNamespace != null) {
            excluded.add(operatorNamespace);
        }
        InjectionNamespaces namespaces = InjectionNamespaces.start(client);
        PodInjector injector = new PodInjector(settings, excluded, PodInjector.randomTokens());
        PodInjectionWebhook webhook = new PodInjectionWebhook(injector, namespaces::mode, services(client), new InjectionMetrics(registry),
                client.getKubernetesSerialization());
        LOG.info("Sidecar injection on: image {}, admin port {}, drain {} s, never in namespaces {}", settings.image(), settings.adminPort(),
                settings.drainSeconds(), excluded);
        return new PodInjection(namespaces, webhook, client);
    }

    /**
     * A list of the namespace's Services at each injection, not an informer: a Service applied just before its Deployment
     * would not be in an informer's cache yet when the first pods are created, and would be followed only by later ones.
     */
    private static NamespaceServices services(KubernetesClient client) {
        return namespace -> {
            try {
                return client.services().inNamespace(namespace).list().getItems();
            } catch (KubernetesClientException e) {
                LOG.warn("Cannot read the Services of namespace {} to learn an injected app's protocol (HTTP/1.1 is used): {}", namespace,
                        e.getMessage());
                throw e;
            }
        };
    }

    /** The handlers for the webhook server, by path. */
    public Map<String, HttpHandler> handlers() {
        return Map.of(PodInjectionWebhook.PATH, new AdmissionEndpoint(client.getKubernetesSerialization(), webhook::respond));
    }

    /** Null when the webhook can answer; otherwise why not. */
    public String notReady() {
        return namespaces.notReady();
    }

    @Override
    public void close() {
        namespaces.close();
    }
}
