package dev.sluice.operator.render;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Set;

/**
 * The other Sluice kind rendered into the same ConfigMap (CircuitBreakers for the RateLimitPolicy
 * reconciler, and the reverse), from an informer's cache rather than a LIST on every reconciliation.
 * It is an event source of the reconciler so that JOSDK starts reconciling only once the cache has
 * synced (an empty cache would render the namespace without the other kind); its changes trigger
 * nothing here, as the other kind's reconciler renders them itself.
 *
 * @param <R> the other kind
 * @param <P> the reconciler's own kind
 */
public final class OtherKindCache<R extends HasMetadata, P extends HasMetadata> {
    private final InformerEventSource<R, P> informer;

    private OtherKindCache(InformerEventSource<R, P> informer) {
        this.informer = informer;
    }

    public static <R extends HasMetadata, P extends HasMetadata> OtherKindCache<R, P> watch(Class<R> kind, EventSourceContext<P> context) {
        InformerEventSourceConfiguration<R> configuration = InformerEventSourceConfiguration
                .from(kind, context.getPrimaryResourceClass())
                .withName(HasMetadata.getPlural(kind))
                .withSecondaryToPrimaryMapper(resource -> Set.of())
                .build();
        return new OtherKindCache<>(new InformerEventSource<>(configuration, context));
    }

    public EventSource<R, P> eventSource() {
        return informer;
    }

    /** The resources of {@code namespace} that are not being deleted. */
    public List<R> live(String namespace) {
        return informer.list(namespace, resource -> resource.getMetadata().getDeletionTimestamp() == null).toList();
    }
}
