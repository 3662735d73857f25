package dev.sluice.operator.report;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How a change in the sidecars' reports reaches the reconcilers: each registers an event source of its own, and the
 * scraper fires a namespace, which reconciles every resource of that kind in it.
 */
public final class ReportTriggers {
    private final List<Source<?>> sources = new CopyOnWriteArrayList<>();

    /** Reconciles every primary resource of every registered reconciler in {@code namespace}. */
    public void fire(String namespace) {
        sources.forEach(source -> source.fire(namespace));
    }

    /** A new event source for a reconciler, to return from its {@code prepareEventSources}. */
    public <P extends HasMetadata> EventSource<SidecarReport, P> eventSource(EventSourceContext<P> context) {
        Source<P> source = new Source<>(context);
        sources.add(source);
        return source;
    }

    private static final class Source<P extends HasMetadata> extends AbstractEventSource<SidecarReport, P> {
        private final EventSourceContext<P> context;

        Source(EventSourceContext<P> context) {
            super(SidecarReport.class, "sidecar-reports");
            this.context = context;
        }

        /** The reports are read from the {@link ReportStore}, not through the reconciler's context. */
        @Override
        public Set<SidecarReport> getSecondaryResources(P primary) {
            return Set.of();
        }

        void fire(String namespace) {
            if (!isRunning() || getEventHandler() == null) {
                return;
            }
            context.getPrimaryCache().list(namespace).map(ResourceID::fromResource).forEach(id -> getEventHandler().handleEvent(new Event(id)));
        }
    }
}
