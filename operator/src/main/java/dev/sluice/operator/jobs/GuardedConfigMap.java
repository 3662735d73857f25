package dev.sluice.operator.jobs;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Map;

/**
 * A ConfigMap of the operator's that several writers (webhook calls, replicas) share, holding one JSON
 * document under one key: replaced only if it is still as its writer read it (the resourceVersion of
 * {@code current}, or its absence), so that no writer overwrites what another wrote meanwhile.
 */
final class GuardedConfigMap {
    private GuardedConfigMap() {
    }

    /**
     * Creates the ConfigMap ({@code current} null) or replaces its data with {@code key: body}.
     *
     * @return false when it changed since {@code current} was read (or was created meanwhile): read again and retry
     */
    static boolean replace(KubernetesClient client, String namespace, ConfigMap current, String name, Map<String, String> labels,
            String description, String key, String body) {
        try {
            if (current == null) {
                client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
                        .withNewMetadata().withName(name).withNamespace(namespace)
                        .addToLabels("app.kubernetes.io/managed-by", "sluice")
                        .addToLabels(labels)
                        .addToAnnotations("sluice.dev/description", description + "; written by the Sluice operator")
                        .endMetadata()
                        .addToData(key, body)
                        .build()).create();
            } else {
                client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder(current).withData(Map.of(key, body)).build()).update();
            }
            return true;
        } catch (KubernetesClientException e) {
            // 409: changed since it was read, or created by another writer meanwhile.
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return false;
            }
            throw e;
        }
    }
}
