package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;

/**
 * The injection mode of each namespace, from an informer on the namespaces that carry the label
 * {@value InjectionNames#LABEL}: the webhook answers from memory, and a namespace the informer does not
 * hold has no label. The admission request does not say which of the chart's webhooks called (the
 * namespace's mode), and the pod's opt-out label must be ignored where the namespace requires the sidecar.
 */
public final class InjectionNamespaces implements AutoCloseable {
    private final SharedIndexInformer<Namespace> informer;

    private InjectionNamespaces(SharedIndexInformer<Namespace> informer) {
        this.informer = informer;
    }

    /** Starts the informer; {@link #mode} answers once it has listed the namespaces. */
    public static InjectionNamespaces start(KubernetesClient client) {
        SharedIndexInformer<Namespace> informer = client.namespaces().withLabel(InjectionNames.LABEL).runnableInformer(0);
        informer.start();
        return new InjectionNamespaces(informer);
    }

    /** The namespace's mode; fails while the informer has not listed the namespaces yet (so the mode is not known). */
    public NamespaceMode mode(String namespace) {
        if (!informer.hasSynced()) {
            throw new IllegalStateException("the namespaces' " + InjectionNames.LABEL + " labels have not been read yet");
        }
        Namespace found = informer.getStore().getByKey(namespace);
        Map<String, String> labels = found == null ? null : found.getMetadata().getLabels();
        return NamespaceMode.of(labels == null ? null : labels.get(InjectionNames.LABEL));
    }

    /** Null once the namespaces have been read; otherwise why the webhook cannot answer yet. */
    public String notReady() {
        return informer.hasSynced() ? null : "the namespaces' " + InjectionNames.LABEL + " labels have not been read yet";
    }

    @Override
    public void close() {
        informer.close();
    }
}
