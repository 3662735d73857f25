package dev.sluice.operator.render;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.SidecarConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ConfigMap that carries a namespace's sidecar configuration: its name, key, labels, and how a
 * document goes in and comes out. Pure: building and reading, no API calls.
 */
public final class SidecarConfigMap {
    public static final String NAME = "sluice-config";
    public static final String KEY = "sidecar.yaml";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "sluice";
    public static final String SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY;
    public static final String GENERATION_ANNOTATION = "sluice.dev/generation";
    private static final Map<String, String> LABELS = Map.of(
            MANAGED_BY_LABEL, MANAGED_BY,
            "app.kubernetes.io/name", "sluice",
            "app.kubernetes.io/component", "sidecar-config");

    private SidecarConfigMap() {
    }

    /** The ConfigMap holding {@code document}, owned by every resource rendered into it so that it goes with the last of them. */
    public static ConfigMap desired(String namespace, SidecarConfig document, List<? extends HasMetadata> owners) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .withAnnotations(Map.of(GENERATION_ANNOTATION, String.valueOf(document.generation())))
                .withOwnerReferences(owners.stream()
                        .sorted(Comparator.comparing(owner -> owner.getMetadata().getName()))
                        .map(SidecarConfigMap::ownerReference)
                        .toList())
                .endMetadata()
                .withData(Map.of(KEY, ConfigLoader.toYaml(document)))
                .build();
    }

    /** The document a ConfigMap holds, if it holds a readable one. */
    public static Optional<SidecarConfig> document(ConfigMap configMap) {
        if (configMap == null || configMap.getData() == null || configMap.getData().get(KEY) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ConfigLoader.parseUnvalidated(configMap.getData().get(KEY)));
        } catch (InvalidConfigException e) {
            return Optional.empty();
        }
    }

    public static boolean isManaged(ConfigMap configMap) {
        Map<String, String> labels = configMap.getMetadata().getLabels();
        return labels != null && MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL));
    }

    /** Whether {@code current} already says what {@code desired} says, so that writing it would change nothing. */
    public static boolean upToDate(ConfigMap current, ConfigMap desired) {
        Map<String, String> labels = current.getMetadata().getLabels();
        Map<String, String> annotations = current.getMetadata().getAnnotations();
        return desired.getData().equals(current.getData())
                && labels != null && labels.entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
                && annotations != null && annotations.entrySet().containsAll(desired.getMetadata().getAnnotations().entrySet())
                && ownerUids(current).equals(ownerUids(desired));
    }

    private static List<String> ownerUids(ConfigMap configMap) {
        List<OwnerReference> owners = configMap.getMetadata().getOwnerReferences();
        return owners == null ? List.of() : owners.stream().map(OwnerReference::getUid).sorted().toList();
    }

    private static OwnerReference ownerReference(HasMetadata owner) {
        return new OwnerReferenceBuilder()
                .withApiVersion(owner.getApiVersion())
                .withKind(owner.getKind())
                .withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid())
                .build();
    }
}
