package dev.sluice.operator.status;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Sluice sidecar of a pod, read from the pod alone: whether it has one (the native sidecar init container the
 * injector adds, or a regular container of that name in a hand-written pod), whether the kubelet reports it ready,
 * and where its admin port listens.
 */
public final class PodSidecars {
    private PodSidecars() {
    }

    /** The sidecar container, by its name: the injector's record annotation can be copied onto a pod that never had one. */
    public static Optional<Container> sidecar(Pod pod) {
        if (pod.getSpec() == null) {
            return Optional.empty();
        }
        return Stream.of(pod.getSpec().getInitContainers(), pod.getSpec().getContainers()).filter(Objects::nonNull).flatMap(List::stream)
                .filter(container -> InjectionNames.SIDECAR_CONTAINER.equals(container.getName()))
                .findFirst();
    }

    public static boolean hasSidecar(Pod pod) {
        return sidecar(pod).isPresent();
    }

    /** Whether the kubelet reports the sidecar container ready: it then holds the pod's port and takes traffic. */
    public static boolean sidecarReady(Pod pod) {
        return hasSidecar(pod) && sidecarStatus(pod).map(status -> Boolean.TRUE.equals(status.getReady())).orElse(false);
    }

    /** The sidecar container's status, for when it became ready. */
    public static Optional<ContainerStatus> sidecarStatus(Pod pod) {
        if (pod.getStatus() == null) {
            return Optional.empty();
        }
        return Stream.of(pod.getStatus().getInitContainerStatuses(), pod.getStatus().getContainerStatuses()).filter(Objects::nonNull)
                .flatMap(List::stream)
                .filter(status -> InjectionNames.SIDECAR_CONTAINER.equals(status.getName()))
                .findFirst();
    }

    /**
     * Since when the sidecar can have been ready, at the earliest: the later of its container's start and the pod's own
     * Ready transition (a native sidecar is ready before the app, so this errs late, giving it more time to report);
     * empty when the pod's status says neither.
     */
    public static Optional<Instant> readySince(Pod pod) {
        Optional<Instant> started = sidecarStatus(pod)
                .filter(status -> status.getState() != null && status.getState().getRunning() != null)
                .map(status -> status.getState().getRunning().getStartedAt())
                .flatMap(PodSidecars::instant);
        Optional<Instant> podReady = Optional.ofNullable(pod.getStatus()).map(PodStatus::getConditions).orElse(List.of()).stream()
                .filter(condition -> "Ready".equals(condition.getType()) && "True".equals(condition.getStatus()))
                .map(PodCondition::getLastTransitionTime)
                .flatMap(time -> instant(time).stream())
                .findFirst();
        return Stream.of(started, podReady).flatMap(Optional::stream).max(Instant::compareTo);
    }

    private static Optional<Instant> instant(String time) {
        try {
            return time == null ? Optional.empty() : Optional.of(Instant.parse(time));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The sidecar's admin port: its container port named {@code sluice-admin}, else the default 15021. */
    public static int adminPort(Pod pod) {
        return sidecar(pod).map(Container::getPorts).orElse(List.of()).stream()
                .filter(port -> InjectionNames.ADMIN_PORT_NAME.equals(port.getName()) && port.getContainerPort() != null)
                .map(ContainerPort::getContainerPort)
                .findFirst()
                .orElse(InjectionNames.DEFAULT_ADMIN_PORT);
    }
}
