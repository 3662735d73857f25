package dev.sluice.operator.audit;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether one pod should carry the Sluice sidecar and does not, and why: the injection contract's
 * selection (the namespace's {@code sluice.dev/inject} mode, the pod's own label) read back from a
 * running pod, with nothing but the pod and its namespace's mode.
 */
final class SidecarCheck {
    static final String NOT_CALLED = "created without the Sluice sidecar: the injection webhook did not answer (operator down?) or the pod"
            + " was created before its namespace was labelled " + InjectionNames.LABEL + "; delete the pod to have it injected";
    static final String SKIPPED_PREFIX = "created without the Sluice sidecar: ";
    static final String ANNOTATED_WITHOUT_SIDECAR = "created without the Sluice sidecar: it carries the annotation " + InjectionNames.INJECTED
            + " but no container " + InjectionNames.SIDECAR_CONTAINER + " (copied from another pod?); remove the annotation from its template and"
            + " delete the pod to have it injected";

    private SidecarCheck() {
    }

    /**
     * Why {@code pod} lacks the sidecar it should have, or empty when it has it or need not.
     *
     * @param namespaceMode the value of its namespace's {@code sluice.dev/inject} label; null when the namespace has none
     */
    static Optional<String> missing(Pod pod, String namespaceMode) {
        if (!selected(pod, namespaceMode) || finished(pod) || hostNetwork(pod.getSpec())) {
            return Optional.empty();
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
        String skipped = annotations.get(InjectionNames.SKIPPED);
        // Before the container check: the injector skips a pod whose own container took the sidecar's name.
        if (skipped != null && !skipped.isBlank()) {
            return Optional.of(SKIPPED_PREFIX + skipped.strip());
        }
        if (hasSidecar(pod.getSpec())) {
            return Optional.empty();
        }
        return Optional.of(annotations.containsKey(InjectionNames.INJECTED) ? ANNOTATED_WITHOUT_SIDECAR : NOT_CALLED);
    }

    /** Whether the webhooks are called for this pod: its namespace's mode, else its own opt-in. */
    static boolean selected(Pod pod, String namespaceMode) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        String own = labels.get(InjectionNames.LABEL);
        if (namespaceMode == null) {
            return InjectionNames.POD_OPT_IN.equals(own);
        }
        return switch (namespaceMode) {
            case InjectionNames.NAMESPACE_REQUIRED -> true;
            case InjectionNames.NAMESPACE_ENABLED -> !InjectionNames.POD_OPT_OUT.equals(own);
            // Any other value selects no webhook (nor does a pod's opt-in there: that needs an unlabelled namespace).
            default -> false;
        };
    }

    /** Finished (its containers will not run again) or on its way out: no sidecar would help it now. */
    private static boolean finished(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase) || pod.getMetadata().getDeletionTimestamp() != null;
    }

    private static boolean hostNetwork(PodSpec spec) {
        return spec != null && Boolean.TRUE.equals(spec.getHostNetwork());
    }

    /** By the container itself, not the annotation: the annotation can be copied onto a pod that never had the sidecar. */
    private static boolean hasSidecar(PodSpec spec) {
        if (spec == null) {
            return false;
        }
        return Stream.of(spec.getInitContainers(), spec.getContainers()).filter(list -> list != null).flatMap(List::stream)
                .map(Container::getName).anyMatch(InjectionNames.SIDECAR_CONTAINER::equals);
    }
}
