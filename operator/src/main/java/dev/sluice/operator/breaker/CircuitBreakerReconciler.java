package dev.sluice.operator.breaker;

import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.render.NamespaceConfigWriter;
import dev.sluice.operator.render.OtherKindCache;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.render.SidecarConfigRenderer;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.report.LiveEvents;
import dev.sluice.operator.report.LiveReports;
import dev.sluice.operator.status.SelectedPods;
import dev.sluice.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reconciles CircuitBreakers: every breaker of a namespace is rendered, with the namespace's
 * RateLimitPolicies, into that namespace's ConfigMap, and each gets its status. A finalizer makes
 * sure a deleted breaker leaves the document.
 */
@ControllerConfiguration(name = CircuitBreakerReconciler.NAME)
public final class CircuitBreakerReconciler implements Reconciler<CircuitBreaker>, Cleaner<CircuitBreaker> {
    public static final String NAME = "circuitbreaker";

    private final NamespaceConfigWriter configWriter;
    private final StatusWriter statusWriter;
    private final OperatorMetrics metrics;
    private final LiveReports reports;
    private final LiveEvents liveEvents;
    private SelectedPods<CircuitBreaker> selectedPods;
    private OtherKindCache<RateLimitPolicy, CircuitBreaker> policies;

    /**
     * @param reports the sidecars' reports, for status that says which pods enforce the breaker (disabled: status of the rendering)
     * @param liveEvents the Events of live status
     */
    public CircuitBreakerReconciler(NamespaceConfigWriter configWriter, StatusWriter statusWriter, OperatorMetrics metrics, LiveReports reports,
                        LiveEvents liveEvents) {
        this.configWriter = configWriter;
        this.statusWriter = statusWriter;
        this.metrics = metrics;
        this.reports = reports;
        this.liveEvents = liveEvents;
    }

    /** Every pod of the watched namespaces (the scraper's list), from this reconciler's informer; none before it started. */
    public List<Pod> pods() {
        return selectedPods == null ? List.of() : selectedPods.all();
    }

    @Override
    public List<EventSource<?, CircuitBreaker>> prepareEventSources(EventSourceContext<CircuitBreaker> context) {
        selectedPods = SelectedPods.watch(context);
        policies = OtherKindCache.watch(RateLimitPolicy.class, context);
        List<EventSource<?, CircuitBreaker>> sources = new ArrayList<>(List.of(selectedPods.eventSource(), policies.eventSource()));
        reports.eventSource(context).ifPresent(sources::add);
        return sources;
    }

    @Override
    public UpdateControl<CircuitBreaker> reconcile(CircuitBreaker breaker, Context<CircuitBreaker> context) {
        String namespace = breaker.getMetadata().getNamespace();
        List<CircuitBreaker> live = Stream.concat(Stream.of(breaker), liveBreakers(context, namespace)
                        .filter(other -> !other.getMetadata().getName().equals(breaker.getMetadata().getName())))
                .toList();
        RenderedPolicies rendered = configWriter.write(namespace, policies.live(namespace), live, selectedPods.list(namespace)).orElseThrow();
        if (!rendered.breaker(breaker.getMetadata().getName()).renderedAsWritten()) {
            metrics.invalidSpec(breaker.getKind());
        }
        List<Pod> selected = selectedPods.selected(namespace, breaker.getSpec() == null ? null : breaker.getSpec().breaker().podSelector());
        if (!reports.enabled()) {
            return statusWriter.write(breaker, CircuitBreakerStatus.desired(breaker, rendered, selected.size()));
        }
        LiveReports.View view = reports.view(namespace, rendered.document().generation());
        Enforcement enforcement = view.enforcement(new Enforcement.Subject(SidecarConfigRenderer.BREAKER_KIND, breaker.getMetadata().getName(),
                breaker.getMetadata().getGeneration(), rendered.document().effectiveVersion(), rendered.document().generation(),
                breaker.getStatus() == null ? null : breaker.getStatus().enforcedGeneration()), selected);
        ResourceStatus desired = CircuitBreakerStatus.desired(breaker, rendered, enforcement);
        liveEvents.announce(breaker, breaker.getStatus(), desired);
        return statusWriter.write(breaker, desired);
    }

    @Override
    public DeleteControl cleanup(CircuitBreaker breaker, Context<CircuitBreaker> context) {
        liveEvents.forget(breaker);
        String namespace = breaker.getMetadata().getNamespace();
        configWriter.write(namespace, policies.live(namespace), liveBreakers(context, namespace)
                .filter(other -> !other.getMetadata().getName().equals(breaker.getMetadata().getName()))
                .toList(), selectedPods.list(namespace));
        return DeleteControl.defaultDelete();
    }

    private static Stream<CircuitBreaker> liveBreakers(Context<CircuitBreaker> context, String namespace) {
        return context.getPrimaryCache().list(namespace).filter(breaker -> breaker.getMetadata().getDeletionTimestamp() == null);
    }
}
