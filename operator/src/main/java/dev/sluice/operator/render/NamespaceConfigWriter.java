package dev.sluice.operator.render;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.status.PodSidecars;
import dev.sluice.operator.status.SelectedPods;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a namespace's rendering (its RateLimitPolicies and CircuitBreakers) into its ConfigMap, only when the content changes (a write would
 * otherwise wake every reconciler watching the ConfigMap, for nothing), and deletes the ConfigMap
 * when no policy or breaker is left. Renderings of one namespace are serialised: several policies share the
 * ConfigMap, and each reconciliation renders all of them from a fresh read. With the ConfigMap go the Role and
 * RoleBinding that let the namespace's sidecars watch it ({@link ConfigReaderRbac}), kept in step at every write
 * but never holding it back.
 */
public final class NamespaceConfigWriter {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceConfigWriter.class);

    private final KubernetesClient client;
    private final SidecarConfigRenderer.DocumentDefaults defaults;
    private final OperatorMetrics metrics;
    private final ConfigReaderAccess readerAccess;
    private final ConcurrentMap<String, Object> namespaceLocks = new ConcurrentHashMap<>();
    private final BiConsumer<String, Long> written;

    public NamespaceConfigWriter(KubernetesClient client, SidecarConfigRenderer.DocumentDefaults defaults, OperatorMetrics metrics) {
        this(client, defaults, metrics, (namespace, generation) -> { });
    }

    /** @param written told the namespace and document generation of each ConfigMap created or changed (the sidecars' reports are then read at once) */
    public NamespaceConfigWriter(KubernetesClient client, SidecarConfigRenderer.DocumentDefaults defaults, OperatorMetrics metrics,
                                 BiConsumer<String, Long> written) {
        this.client = client;
        this.readerAccess = new ConfigReaderAccess(client);
        this.defaults = defaults;
        this.metrics = metrics;
        this.written = written;
    }

    /**
     * How many live pods each Global policy selects whose sidecar is ready: its sidecars' share of the limit when Redis is
     * unreachable. Not the label matches: surge pods before they are ready, and pods without a sidecar, enforce nothing
     * and would shrink every share mid-rollout. A change in their number (a sidecar becoming ready is a pod status change)
     * reaches this rendering through the reconcilers' pod watch.
     */
    static Map<String, Integer> globalReplicas(List<RateLimitPolicy> policies, List<Pod> pods) {
        List<RateLimitPolicy> global = policies.stream()
                .filter(policy -> policy.getSpec() != null && policy.getSpec().scope() == Scope.Global)
                .toList();
        if (global.isEmpty()) {
            return Map.of();
        }
        Map<String, Integer> replicas = new HashMap<>();
        for (RateLimitPolicy policy : global) {
            LabelSelector selector = policy.getSpec().podSelector() == null ? LabelSelector.everything() : policy.getSpec().podSelector();
            int count = (int) pods.stream().filter(pod -> SelectedPods.selects(selector, pod) && PodSidecars.sidecarReady(pod)).count();
            replicas.put(policy.getMetadata().getName(), count);
        }
        return replicas;
    }

    /**
     * Renders the live policies and breakers of a namespace and brings the ConfigMap in line; empty when
     * none is left. The callers read the resources and pods from their informers' caches, so a
     * reconciliation lists nothing from the API server; only the ConfigMap, the previous document, is
     * read afresh.
     */
    public Optional<RenderedPolicies> write(String namespace, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers, List<Pod> pods) {
        synchronized (namespaceLocks.computeIfAbsent(namespace, key -> new Object())) {
            ConfigMap current = client.configMaps().inNamespace(namespace).withName(SidecarConfigMap.NAME).get();
            if (current != null && !SidecarConfigMap.isManaged(current)) {
                throw new IllegalStateException("ConfigMap " + namespace + "/" + SidecarConfigMap.NAME
                        + " exists without the label " + SidecarConfigMap.SELECTOR + ": Sluice will not overwrite it");
            }
            if (policies.isEmpty() && breakers.isEmpty()) {
                if (current != null) {
                    client.resource(current).delete();
                    metrics.configMapWritten("delete");
                    LOG.info("Deleted ConfigMap {}/{}: no policy or breaker left", namespace, SidecarConfigMap.NAME);
                }
                if (current != null || readerAccess.deletePending(namespace)) {
                    readerAccess.delete(namespace);
                }
                return Optional.empty();
            }
            RenderedPolicies rendered = SidecarConfigRenderer.render(
                    namespace, policies, breakers, SidecarConfigMap.document(current), defaults, globalReplicas(policies, pods));
            List<FieldError> errors = ConfigValidator.validate(rendered.document());
            if (!errors.isEmpty()) {
                throw new IllegalStateException("the rendered configuration of namespace " + namespace + " is invalid: " + errors);
            }
            List<HasMetadata> owners = new ArrayList<>(policies);
            owners.addAll(breakers);
            ConfigMap desired = SidecarConfigMap.desired(namespace, rendered.document(), owners);
            ConfigMap written = null;
            if (current == null) {
                written = client.resource(desired).create();
                metrics.configMapWritten("create");
                LOG.info("Created ConfigMap {}/{} at generation {}", namespace, SidecarConfigMap.NAME, rendered.document().generation());
            } else if (!SidecarConfigMap.upToDate(current, desired)) {
                desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
                written = client.resource(desired).update();
                metrics.configMapWritten("update");
                LOG.info("Updated ConfigMap {}/{} to generation {}", namespace, SidecarConfigMap.NAME, rendered.document().generation());
            }
            if (written != null) {
                this.written.accept(namespace, rendered.document().generation());
                readerAccess.ensure(written);
            } else if (readerAccess.needsEnsure(current)) {
                readerAccess.ensure(current);
            }
            return Optional.of(rendered);
        }
    }
}
