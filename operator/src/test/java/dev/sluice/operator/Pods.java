package dev.sluice.operator;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;

/**
 * Pods as the live status sees them, built fluently: {@code Pods.pod("shop", "web-1").injected().ready(since).ip("127.0.0.2").build()}.
 * Labelled {@code app=web} unless told otherwise.
 */
public final class Pods {
    private final PodBuilder pod;
    private boolean nativeSidecar;
    private boolean regularSidecar;
    private Integer adminPort;
    private Instant readySince;

    private Pods(String namespace, String name) {
        pod = new PodBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withUid(namespace + "-" + name + "-uid")
                .addToLabels("app", "web").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/app").endContainer().endSpec()
                .withNewStatus().withPhase("Running").endStatus();
    }

    public static Pods pod(String namespace, String name) {
        return new Pods(namespace, name);
    }

    public Pods labelled(String key, String value) {
        pod.editMetadata().addToLabels(key, value).endMetadata();
        return this;
    }

    /** The native sidecar init container the injector adds. */
    public Pods injected() {
        nativeSidecar = true;
        return this;
    }

    /** The sidecar as a regular container, as in a hand-written pod. */
    public Pods withSidecarContainer() {
        regularSidecar = true;
        return this;
    }

    /** The sidecar's admin port declared as the container port {@code sluice-admin}. */
    public Pods adminPort(int port) {
        this.adminPort = port;
        return this;
    }

    /** The kubelet reports the sidecar ready since {@code since}. */
    public Pods ready(Instant since) {
        this.readySince = since;
        return this;
    }

    public Pods ip(String ip) {
        pod.editStatus().withPodIP(ip).endStatus();
        return this;
    }

    public Pods deleting() {
        pod.editMetadata().withDeletionTimestamp("2026-01-01T10:00:00Z").endMetadata();
        return this;
    }

    public Pod build() {
        if (nativeSidecar || regularSidecar) {
            var container = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName(InjectionNames.SIDECAR_CONTAINER)
                    .withImage("localhost/sluice-sidecar:1");
            if (adminPort != null) {
                container.addNewPort().withName(InjectionNames.ADMIN_PORT_NAME).withContainerPort(adminPort).endPort();
            }
            if (nativeSidecar) {
                pod.editSpec().addToInitContainers(container.withRestartPolicy("Always").build()).endSpec();
            } else {
                pod.editSpec().addToContainers(container.build()).endSpec();
            }
            var status = new ContainerStatusBuilder().withName(InjectionNames.SIDECAR_CONTAINER).withReady(readySince != null);
            if (readySince != null) {
                status.withNewState().withNewRunning().withStartedAt(readySince.toString()).endRunning().endState();
            }
            if (nativeSidecar) {
                pod.editStatus().addToInitContainerStatuses(status.build()).endStatus();
            } else {
                pod.editStatus().addToContainerStatuses(status.build()).endStatus();
            }
        }
        return pod.build();
    }
}
