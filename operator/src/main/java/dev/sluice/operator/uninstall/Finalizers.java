package dev.sluice.operator.uninstall;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import java.net.HttpURLConnection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Removes Sluice's finalizer, and only that entry, from a resource: a JSON Patch that tests the entry
 * is still where it was read before removing it, so that a finalizer another controller adds or removes
 * meanwhile is never clobbered; when the test fails, the resource is read again.
 */
final class Finalizers {
    private static final int ATTEMPTS = 5;

    private final KubernetesClient client;

    Finalizers(KubernetesClient client) {
        this.client = client;
    }

    /** The finalizer JOSDK puts on resources of {@code kind} (its default: {@code <plural>.<group>/finalizer}). */
    static String of(Class<? extends HasMetadata> kind) {
        return ReconcilerUtils.getDefaultFinalizerName(kind);
    }

    /** @return whether the finalizer was removed; false when the resource did not carry it (any more) or is gone */
    <T extends HasMetadata> boolean remove(Class<T> kind, T resource) {
        String finalizer = of(kind);
        Resource<T> stored = client.resources(kind).inNamespace(resource.getMetadata().getNamespace()).withName(resource.getMetadata().getName());
        // Read afresh: the list the caller found it in may be old by now.
        T current = stored.get();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (current == null) {
                return false;
            }
            List<String> finalizers = current.getMetadata().getFinalizers();
            int index = finalizers == null ? -1 : finalizers.indexOf(finalizer);
            if (index < 0) {
                return false;
            }
            String path = "/metadata/finalizers/" + index;
            String patch = client.getKubernetesSerialization().asJson(List.of(op("test", path, finalizer), op("remove", path, null)));
            try {
                stored.patch(PatchContext.of(PatchType.JSON), patch);
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                    return false;
                }
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT && e.getCode() != 422) {
                    throw e;
                }
                current = stored.get();
            }
        }
        throw new KubernetesClientException("its finalizers kept changing under " + ATTEMPTS + " attempts");
    }

    private static Map<String, Object> op(String op, String path, String value) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("op", op);
        operation.put("path", path);
        if (value != null) {
            operation.put("value", value);
        }
        return operation;
    }
}
