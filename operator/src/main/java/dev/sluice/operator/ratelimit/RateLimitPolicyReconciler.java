package dev.sluice.operator.ratelimit;

import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.render.NamespaceConfigWriter;
import dev.sluice.operator.render.OtherKindCache;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.render.SidecarConfigRenderer;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.report.LiveEvents;
import dev.sluice.operator.report.LiveReports;
import dev.sluice.operator.status.SelectedPods;
import dev.sluice.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reconciles RateLimitPolicies: every policy of a namespace is rendered into that namespace's
 * ConfigMap, and each gets its status. A change to a pod or to the ConfigMap re-reconciles the
 * policies of its namespace (selected pod counts; a ConfigMap edited or deleted by hand is restored).
 */
@ControllerConfiguration(name = RateLimitPolicyReconciler.NAME)
public final class RateLimitPolicyReconciler implements Reconciler<RateLimitPolicy>, Cleaner<RateLimitPolicy> {
    public static final String NAME = "ratelimitpolicy";

    private final NamespaceConfigWriter configWriter;
    private final StatusWriter statusWriter;
    private final OperatorMetrics metrics;
    private final LiveReports reports;
    private final LiveEvents liveEvents;
    private SelectedPods<RateLimitPolicy> selectedPods;
    private OtherKindCache<CircuitBreaker, RateLimitPolicy> breakers;

    /**
     * @param reports the sidecars' reports, for status that says which pods enforce the policy (disabled: status of the rendering)
     * @param liveEvents the Events of live status
     */
    public RateLimitPolicyReconciler(NamespaceConfigWriter configWriter, StatusWriter statusWriter, OperatorMetrics metrics, LiveReports reports,
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
    public List<EventSource<?, RateLimitPolicy>> prepareEventSources(EventSourceContext<RateLimitPolicy> context) {
        selectedPods = SelectedPods.watch(context);
        breakers = OtherKindCache.watch(CircuitBreaker.class, context);
        InformerEventSource<ConfigMap, RateLimitPolicy> configMaps = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(ConfigMap.class, RateLimitPolicy.class)
                .withName("configmaps")
                .withLabelSelector(SidecarConfigMap.SELECTOR)
                .withSecondaryToPrimaryMapper(configMap -> SelectedPods.sameNamespace(context, configMap))
                .build(), context);
        List<EventSource<?, RateLimitPolicy>> sources = new ArrayList<>(List.of(selectedPods.eventSource(), configMaps, breakers.eventSource()));
        reports.eventSource(context).ifPresent(sources::add);
        return sources;
    }

    @Override
    public UpdateControl<RateLimitPolicy> reconcile(RateLimitPolicy policy, Context<RateLimitPolicy> context) {
        String namespace = policy.getMetadata().getNamespace();
        List<RateLimitPolicy> live = Stream.concat(Stream.of(policy), livePolicies(context, namespace)
                        .filter(other -> !other.getMetadata().getName().equals(policy.getMetadata().getName())))
                .toList();
        RenderedPolicies rendered = configWriter.write(namespace, live, breakers.live(namespace), selectedPods.list(namespace)).orElseThrow();
        if (!rendered.policy(policy.getMetadata().getName()).renderedAsWritten()) {
            metrics.invalidSpec(policy.getKind());
        }
        List<Pod> selected = selectedPods.selected(namespace, policy.getSpec() == null ? null : policy.getSpec().podSelector());
        if (!reports.enabled()) {
            return statusWriter.write(policy, RateLimitPolicyStatus.desired(policy, rendered, selected.size()));
        }
        String name = policy.getMetadata().getName();
        LiveReports.View view = reports.view(namespace, rendered.document().generation());
        Enforcement enforcement = view.enforcement(new Enforcement.Subject(SidecarConfigRenderer.POLICY_KIND, name,
                policy.getMetadata().getGeneration(), rendered.document().effectiveVersion(), rendered.document().generation(),
                policy.getStatus() == null ? null : policy.getStatus().enforcedGeneration()), selected);
        ResourceStatus desired = RateLimitPolicyStatus.desired(policy, rendered, enforcement, view.rates(name, selected));
        liveEvents.announce(policy, policy.getStatus(), desired);
        return statusWriter.write(policy, desired);
    }

    @Override
    public DeleteControl cleanup(RateLimitPolicy policy, Context<RateLimitPolicy> context) {
        liveEvents.forget(policy);
        String namespace = policy.getMetadata().getNamespace();
        configWriter.write(namespace, livePolicies(context, namespace)
                .filter(other -> !other.getMetadata().getName().equals(policy.getMetadata().getName()))
                .toList(), breakers.live(namespace), selectedPods.list(namespace));
        return DeleteControl.defaultDelete();
    }

    private static Stream<RateLimitPolicy> livePolicies(Context<RateLimitPolicy> context, String namespace) {
        return context.getPrimaryCache().list(namespace).filter(policy -> policy.getMetadata().getDeletionTimestamp() == null);
    }
}
