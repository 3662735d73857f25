package dev.sluice.operator.render;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each namespace's {@link ConfigReaderRbac} Role and RoleBinding in step with its sidecar ConfigMap.
 * Called with every ConfigMap write and until it has succeeded once for the namespace in this process, so
 * that a hand edit is put back at the next write and a failure is retried at the next reconciliation. It
 * never throws: without the Role the sidecars keep their mounted file, which is worse than the watch but
 * no reason to hold back the ConfigMap they read it from.
 */
final class ConfigReaderAccess {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigReaderAccess.class);

    private final KubernetesClient client;
    /** Namespaces whose Role and RoleBinding were last found or made as they should be, for the ConfigMap of that uid. */
    private final Map<String, String> inStep = new ConcurrentHashMap<>();
    /** The last failure logged per namespace: each kind is logged once, not at every retry. */
    private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
    /** Namespaces whose Role or RoleBinding could not be deleted with their ConfigMap. */
    private final Set<String> deletePending = ConcurrentHashMap.newKeySet();

    ConfigReaderAccess(KubernetesClient client) {
        this.client = client;
    }

    /** Whether the namespace's access has not been brought in step with this ConfigMap yet in this process. */
    boolean needsEnsure(ConfigMap configMap) {
        return !configMap.getMetadata().getUid().equals(inStep.get(configMap.getMetadata().getNamespace()));
    }

    /** Creates or puts back the Role and RoleBinding that let the namespace's pods read {@code configMap}, as written. */
    void ensure(ConfigMap configMap) {
        String namespace = configMap.getMetadata().getNamespace();
        deletePending.remove(namespace);
        try {
            ensureRole(ConfigReaderRbac.role(configMap));
            ensureBinding(ConfigReaderRbac.binding(configMap));
            inStep.put(namespace, configMap.getMetadata().getUid());
            if (lastFailure.remove(namespace) != null) {
                LOG.info("Role and RoleBinding {}/{} are in place again: the namespace's sidecars may watch {}", namespace,
                        ConfigReaderRbac.NAME, SidecarConfigMap.NAME);
            }
        } catch (KubernetesClientException | IllegalStateException e) {
            inStep.remove(namespace);
            failed(namespace, "could not create or update the Role and RoleBinding " + namespace + "/" + ConfigReaderRbac.NAME
                    + " (the sidecars keep reading the mounted ConfigMap; retried with the next write): " + e.getMessage());
        }
    }

    /** Whether the namespace's Role and RoleBinding are left to delete after the ConfigMap went without them. */
    boolean deletePending(String namespace) {
        return deletePending.contains(namespace);
    }

    /** Deletes the namespace's Role and RoleBinding, those Sluice manages only. */
    void delete(String namespace) {
        inStep.remove(namespace);
        try {
            RoleBinding binding = client.rbac().roleBindings().inNamespace(namespace).withName(ConfigReaderRbac.NAME).get();
            if (binding != null && ConfigReaderRbac.isManaged(binding.getMetadata())) {
                client.resource(binding).delete();
            }
            Role role = client.rbac().roles().inNamespace(namespace).withName(ConfigReaderRbac.NAME).get();
            if (role != null && ConfigReaderRbac.isManaged(role.getMetadata())) {
                client.resource(role).delete();
            }
            deletePending.remove(namespace);
            lastFailure.remove(namespace);
            LOG.info("Deleted the Role and RoleBinding {}/{} with the ConfigMap", namespace, ConfigReaderRbac.NAME);
        } catch (KubernetesClientException e) {
            deletePending.add(namespace);
            failed(namespace, "could not delete the Role and RoleBinding " + namespace + "/" + ConfigReaderRbac.NAME
                    + " (retried at the next reconciliation): " + e.getMessage());
        }
    }

    private void ensureRole(Role desired) {
        String namespace = desired.getMetadata().getNamespace();
        Role current = client.rbac().roles().inNamespace(namespace).withName(ConfigReaderRbac.NAME).get();
        if (current == null) {
            client.resource(desired).create();
            LOG.info("Created Role {}/{}: the namespace's pods may read and watch {}", namespace, ConfigReaderRbac.NAME, SidecarConfigMap.NAME);
        } else if (!ConfigReaderRbac.isManaged(current.getMetadata())) {
            throw notOurs("Role", current.getMetadata().getNamespace());
        } else if (!ConfigReaderRbac.upToDate(current, desired)) {
            desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
            client.resource(desired).update();
            LOG.info("Put Role {}/{} back as Sluice writes it", namespace, ConfigReaderRbac.NAME);
        }
    }

    private void ensureBinding(RoleBinding desired) {
        String namespace = desired.getMetadata().getNamespace();
        RoleBinding current = client.rbac().roleBindings().inNamespace(namespace).withName(ConfigReaderRbac.NAME).get();
        if (current != null && !ConfigReaderRbac.isManaged(current.getMetadata())) {
            throw notOurs("RoleBinding", namespace);
        }
        if (current != null && !ConfigReaderRbac.sameRoleRef(current, desired)) {
            client.resource(current).delete();
            current = null;
        }
        if (current == null) {
            client.resource(desired).create();
            LOG.info("Created RoleBinding {}/{} for the group {}", namespace, ConfigReaderRbac.NAME, ConfigReaderRbac.serviceAccountsGroup(namespace));
        } else if (!ConfigReaderRbac.upToDate(current, desired)) {
            desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
            client.resource(desired).update();
            LOG.info("Put RoleBinding {}/{} back as Sluice writes it", namespace, ConfigReaderRbac.NAME);
        }
    }

    private static IllegalStateException notOurs(String kind, String namespace) {
        return new IllegalStateException(kind + " " + namespace + "/" + ConfigReaderRbac.NAME + " exists without the label "
                + SidecarConfigMap.SELECTOR + ": Sluice will not overwrite it");
    }

    private void failed(String namespace, String message) {
        if (!message.equals(lastFailure.put(namespace, message))) {
            LOG.warn(message);
        }
    }
}
