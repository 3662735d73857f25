package dev.sluice.operator.render;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Role and RoleBinding that let every pod of a namespace read, and watch, that namespace's
 * {@value SidecarConfigMap#NAME} and nothing else: the injected sidecars watch it on the API server with
 * their own ServiceAccount token (docs/architecture.md, "Configuration distribution"). Bound to the group
 * of all the namespace's ServiceAccounts, since any pod of it may run an injected sidecar. Both are owned
 * by the ConfigMap, so that they go with it whichever way it goes. Pure: building and comparing, no API calls.
 */
public final class ConfigReaderRbac {
    /** The name of both the Role and the RoleBinding. */
    public static final String NAME = "sluice-config-reader";
    public static final String RBAC_GROUP = "rbac.authorization.k8s.io";
    private static final Map<String, String> LABELS = Map.of(
            SidecarConfigMap.MANAGED_BY_LABEL, SidecarConfigMap.MANAGED_BY,
            "app.kubernetes.io/name", "sluice",
            "app.kubernetes.io/component", "sidecar-config-reader");

    private ConfigReaderRbac() {
    }

    /** The group the API server puts every ServiceAccount of {@code namespace} in. */
    public static String serviceAccountsGroup(String namespace) {
        return "system:serviceaccounts:" + namespace;
    }

    /** get, list and watch of the namespace's sidecar ConfigMap by name: a sidecar's list and watch select it by a field selector on its name. */
    public static Role role(ConfigMap owner) {
        return new RoleBuilder()
                .withMetadata(metadata(owner))
                .withRules(new PolicyRuleBuilder()
                        .withApiGroups("")
                        .withResources("configmaps")
                        .withResourceNames(SidecarConfigMap.NAME)
                        .withVerbs("get", "list", "watch")
                        .build())
                .build();
    }

    public static RoleBinding binding(ConfigMap owner) {
        String namespace = owner.getMetadata().getNamespace();
        return new RoleBindingBuilder()
                .withMetadata(metadata(owner))
                .withNewRoleRef(RBAC_GROUP, "Role", NAME)
                .withSubjects(new Subject(RBAC_GROUP, "Group", serviceAccountsGroup(namespace), null))
                .build();
    }

    public static boolean isManaged(ObjectMeta metadata) {
        return metadata.getLabels() != null && SidecarConfigMap.MANAGED_BY.equals(metadata.getLabels().get(SidecarConfigMap.MANAGED_BY_LABEL));
    }

    /** Whether {@code current} grants what {@code desired} grants, with its labels and owner, so that writing it would change nothing. */
    public static boolean upToDate(Role current, Role desired) {
        return sameMetadata(current.getMetadata(), desired.getMetadata()) && Objects.equals(current.getRules(), desired.getRules());
    }

    public static boolean upToDate(RoleBinding current, RoleBinding desired) {
        return sameMetadata(current.getMetadata(), desired.getMetadata()) && sameRoleRef(current, desired)
                && Objects.equals(current.getSubjects(), desired.getSubjects());
    }

    /** The API server refuses to change a binding's roleRef: a binding that differs there must be deleted and created again. */
    public static boolean sameRoleRef(RoleBinding current, RoleBinding desired) {
        RoleRef ref = current.getRoleRef();
        return ref != null && desired.getRoleRef().getApiGroup().equals(ref.getApiGroup())
                && desired.getRoleRef().getKind().equals(ref.getKind()) && desired.getRoleRef().getName().equals(ref.getName());
    }

    private static boolean sameMetadata(ObjectMeta current, ObjectMeta desired) {
        Map<String, String> labels = current.getLabels();
        return labels != null && labels.entrySet().containsAll(desired.getLabels().entrySet())
                && ownerUids(current).equals(ownerUids(desired));
    }

    private static List<String> ownerUids(ObjectMeta metadata) {
        List<OwnerReference> owners = metadata.getOwnerReferences();
        return owners == null ? List.of() : owners.stream().map(OwnerReference::getUid).sorted().toList();
    }

    private static ObjectMeta metadata(ConfigMap owner) {
        return new ObjectMetaBuilder()
                .withName(NAME)
                .withNamespace(owner.getMetadata().getNamespace())
                .withLabels(LABELS)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("ConfigMap")
                        .withName(owner.getMetadata().getName())
                        .withUid(owner.getMetadata().getUid())
                        .build())
                .build();
    }
}
