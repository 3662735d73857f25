package dev.sluice.operator.status;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.util.List;

/**
 * What the operator's pod informers keep of a pod: the few fields status, rendering and the report scraper read (its
 * name, uid, labels and deletion; its containers' names and ports; its phase, IP, conditions and the containers' readiness
 * and start), not the whole object. An injected pod is some 300 Fabric8 objects (env, volumes, probes, security contexts,
 * managed fields), about 50 KB of heap; two reconcilers each cache every pod of the watched namespaces, so at 1,000 pods
 * the whole objects alone filled the chart's 128 MiB heap and the operator ran out of memory (the 1,000-sidecar benchmark).
 */
public final class PrunedPods {
    private PrunedPods() {
    }

    public static Pod prune(Pod pod) {
        ObjectMeta metadata = pod.getMetadata();
        PodBuilder pruned = new PodBuilder().withApiVersion(pod.getApiVersion()).withKind(pod.getKind())
                .withMetadata(metadata == null ? null : new ObjectMetaBuilder()
                        .withName(metadata.getName())
                        .withNamespace(metadata.getNamespace())
                        .withUid(metadata.getUid())
                        .withResourceVersion(metadata.getResourceVersion())
                        .withLabels(metadata.getLabels())
                        .withDeletionTimestamp(metadata.getDeletionTimestamp())
                        .build());
        if (pod.getSpec() != null) {
            pruned.withSpec(new PodSpecBuilder()
                    .withInitContainers(containers(pod.getSpec().getInitContainers()))
                    .withContainers(containers(pod.getSpec().getContainers()))
                    .build());
        }
        PodStatus status = pod.getStatus();
        if (status != null) {
            pruned.withStatus(new PodStatusBuilder()
                    .withPhase(status.getPhase())
                    .withPodIP(status.getPodIP())
                    .withConditions(status.getConditions() == null ? null : status.getConditions().stream().map(PrunedPods::condition).toList())
                    .withInitContainerStatuses(statuses(status.getInitContainerStatuses()))
                    .withContainerStatuses(statuses(status.getContainerStatuses()))
                    .build());
        }
        return pruned.build();
    }

    private static List<Container> containers(List<Container> containers) {
        return containers == null ? null : containers.stream()
                .map(container -> new ContainerBuilder().withName(container.getName()).withPorts(container.getPorts()).build())
                .toList();
    }

    private static PodCondition condition(PodCondition condition) {
        return new PodConditionBuilder().withType(condition.getType()).withStatus(condition.getStatus())
                .withLastTransitionTime(condition.getLastTransitionTime()).build();
    }

    private static List<ContainerStatus> statuses(List<ContainerStatus> statuses) {
        return statuses == null ? null : statuses.stream()
                .map(status -> new ContainerStatusBuilder().withName(status.getName()).withReady(status.getReady())
                        .withStarted(status.getStarted())
                        .withState(status.getState() == null || status.getState().getRunning() == null ? null
                                : new ContainerStateBuilder().withRunning(status.getState().getRunning()).build())
                        .build())
                .toList();
    }
}
