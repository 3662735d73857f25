package dev.sluice.operator.inject;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The JSON Patch (RFC 6902) that turns the pod the API server sent into the injected one. Whole lists are
 * written ({@code add} replaces an existing member), never indices: another mutating webhook may have
 * changed them, and a positional patch computed against one list would corrupt another. Annotations go
 * one by one, so that none written by someone else is lost.
 */
public final class PodPatch {
    private PodPatch() {
    }

    /** The operations; empty when nothing changed. Fails when {@code changed} differs in a part the patch does not write. */
    public static List<Map<String, Object>> between(Pod original, Pod changed, KubernetesSerialization serialization) {
        List<Map<String, Object>> operations = new ArrayList<>();
        list(operations, "/spec/initContainers", original.getSpec().getInitContainers(), changed.getSpec().getInitContainers());
        list(operations, "/spec/containers", original.getSpec().getContainers(), changed.getSpec().getContainers());
        list(operations, "/spec/volumes", original.getSpec().getVolumes(), changed.getSpec().getVolumes());
        Map<String, String> before = original.getMetadata().getAnnotations();
        Map<String, String> after = changed.getMetadata().getAnnotations();
        if (!Objects.equals(emptyToNull(before), emptyToNull(after))) {
            if (before == null || before.isEmpty()) {
                operations.add(operation("add", "/metadata/annotations", after));
            } else {
                for (String key : new TreeSet<>(before.keySet())) {
                    if (after == null || !after.containsKey(key)) {
                        operations.add(operation("remove", "/metadata/annotations/" + escape(key), null));
                    }
                }
                for (Map.Entry<String, String> entry : after == null ? Map.<String, String>of().entrySet() : after.entrySet()) {
                    if (!entry.getValue().equals(before.get(entry.getKey()))) {
                        operations.add(operation("add", "/metadata/annotations/" + escape(entry.getKey()), entry.getValue()));
                    }
                }
            }
        }
        Pod covered = serialization.clone(original);
        covered.getSpec().setInitContainers(changed.getSpec().getInitContainers());
        covered.getSpec().setContainers(changed.getSpec().getContainers());
        covered.getSpec().setVolumes(changed.getSpec().getVolumes());
        covered.getMetadata().setAnnotations(changed.getMetadata().getAnnotations());
        if (!serialization.asJson(covered).equals(serialization.asJson(changed))) {
            throw new IllegalStateException("the injected pod differs from the original outside containers, initContainers, volumes and annotations");
        }
        return operations;
    }

    /** A JSON Pointer token: {@code ~} and {@code /} escaped (RFC 6901), as in {@code sluice.dev~1injected}. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static void list(List<Map<String, Object>> operations, String path, List<?> before, List<?> after) {
        if (!Objects.equals(emptyToNull(before), emptyToNull(after)) && after != null) {
            operations.add(operation("add", path, after));
        }
    }

    private static Object emptyToNull(Object value) {
        return value instanceof List<?> list && list.isEmpty() || value instanceof Map<?, ?> map && map.isEmpty() ? null : value;
    }

    private static Map<String, Object> operation(String op, String path, Object value) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("op", op);
        operation.put("path", path);
        if (value != null) {
            operation.put("value", value);
        }
        return operation;
    }
}
