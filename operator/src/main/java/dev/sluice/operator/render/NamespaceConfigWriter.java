package dev.sluice.operator.render;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.monitoring.OperatorMetrics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a namespace's rendering into its ConfigMap, only when the content changes (a write would
 * otherwise wake every reconciler watching the ConfigMap, for nothing), and deletes the ConfigMap
 * when no policy is left. Renderings of one namespace are serialised: several policies share the
 * ConfigMap, and each reconciliation renders all of them from a fresh read.
 */
public final class NamespaceConfigWriter {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceConfigWriter.class);

    private final KubernetesClient client;
    private final List<String> trustedProxies;
    private final OperatorMetrics metrics;
    private final ConcurrentMap<String, Object> namespaceLocks = new ConcurrentHashMap<>();

    public NamespaceConfigWriter(KubernetesClient client, List<String> trustedProxies, OperatorMetrics metrics) {
        this.client = client;
        this.trustedProxies = List.copyOf(trustedProxies);
        this.metrics = metrics;
    }

    /** Renders {@code policies} (every live policy of the namespace) and brings the ConfigMap in line; empty when none is left. */
    public Optional<RenderedPolicies> write(String namespace, List<RateLimitPolicy> policies) {
        synchronized (namespaceLocks.computeIfAbsent(namespace, key -> new Object())) {
            ConfigMap current = client.configMaps().inNamespace(namespace).withName(SidecarConfigMap.NAME).get();
            if (current != null && !SidecarConfigMap.isManaged(current)) {
                throw new IllegalStateException("ConfigMap " + namespace + "/" + SidecarConfigMap.NAME
                        + " exists without the label " + SidecarConfigMap.SELECTOR + ": Sluice will not overwrite it");
            }
            if (policies.isEmpty()) {
                if (current != null) {
                    client.resource(current).delete();
                    metrics.configMapWritten("delete");
                    LOG.info("Deleted ConfigMap {}/{}: no policy left", namespace, SidecarConfigMap.NAME);
                }
                return Optional.empty();
            }
            RenderedPolicies rendered = SidecarConfigRenderer.render(
                    namespace, policies, SidecarConfigMap.document(current), trustedProxies);
            List<FieldError> errors = ConfigValidator.validate(rendered.document());
            if (!errors.isEmpty()) {
                throw new IllegalStateException("the rendered configuration of namespace " + namespace + " is invalid: " + errors);
            }
            ConfigMap desired = SidecarConfigMap.desired(namespace, rendered.document(), policies);
            if (current == null) {
                client.resource(desired).create();
                metrics.configMapWritten("create");
                LOG.info("Created ConfigMap {}/{} at generation {}", namespace, SidecarConfigMap.NAME, rendered.document().generation());
            } else if (!SidecarConfigMap.upToDate(current, desired)) {
                desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
                client.resource(desired).update();
                metrics.configMapWritten("update");
                LOG.info("Updated ConfigMap {}/{} to generation {}", namespace, SidecarConfigMap.NAME, rendered.document().generation());
            }
            return Optional.of(rendered);
        }
    }
}
