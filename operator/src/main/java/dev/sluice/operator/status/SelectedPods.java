package dev.sluice.operator.status;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.LabelSelector;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The pods of the watched namespaces, from an informer that keeps only what status needs of each ({@link PrunedPods}):
 * a resource's status counts the pods its
 * selector matches, and a pod that comes, goes or changes labels re-reconciles the resources of its
 * namespace so that the count follows.
 */
public final class SelectedPods<P extends HasMetadata> {
    private final InformerEventSource<Pod, P> pods;

    private SelectedPods(InformerEventSource<Pod, P> pods) {
        this.pods = pods;
    }

    public static <P extends HasMetadata> SelectedPods<P> watch(EventSourceContext<P> context) {
        InformerEventSourceConfiguration<Pod> configuration = InformerEventSourceConfiguration
                .from(Pod.class, context.getPrimaryResourceClass())
                .withName("pods")
                .withSecondaryToPrimaryMapper(pod -> sameNamespace(context, pod))
                .withItemStore(new TransformingItemStore<>(PrunedPods::prune))
                .build();
        return new SelectedPods<>(new InformerEventSource<>(configuration, context));
    }

    /** Every primary resource in the namespace of {@code secondary}: what a change in a shared namespace-wide resource concerns. */
    public static <P extends HasMetadata> Set<ResourceID> sameNamespace(EventSourceContext<P> context, HasMetadata secondary) {
        String namespace = secondary.getMetadata().getNamespace();
        return context.getPrimaryCache().list(namespace).map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    public InformerEventSource<Pod, P> eventSource() {
        return pods;
    }

    /** The pods of {@code namespace}, from the informer's cache. */
    public List<Pod> list(String namespace) {
        return pods.list(namespace).toList();
    }

    /** Running or pending pods (not finished, not being deleted) of {@code namespace} that {@code selector} matches; 0 for a missing or invalid selector. */
    public int count(String namespace, LabelSelector selector) {
        return selected(namespace, selector).size();
    }

    /** The running or pending pods of {@code namespace} that {@code selector} matches; none for a missing or invalid selector. */
    public List<Pod> selected(String namespace, LabelSelector selector) {
        if (selector == null || !ConfigValidator.validateSelector(selector, "").isEmpty()) {
            return List.of();
        }
        return pods.list(namespace, pod -> selects(selector, pod)).toList();
    }

    /** Every pod of the watched namespaces, from the informer's cache. */
    public List<Pod> all() {
        return pods.list(pod -> true).toList();
    }

    /** Whether {@code pod} is running or pending (not finished, not being deleted) and {@code selector} matches it. */
    public static boolean selects(LabelSelector selector, Pod pod) {
        return isLive(pod) && selector.matches(labels(pod));
    }

    private static boolean isLive(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return pod.getMetadata().getDeletionTimestamp() == null && !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    private static Map<String, String> labels(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }
}
