package dev.sluice.operator.audit;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** Pods as the auditor finds them, built fluently: {@code pod("shop", "web-1").optedOut().build()}. */
final class PodFixtures {
    private final PodBuilder pod;

    private PodFixtures(String namespace, String name) {
        pod = new PodBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withUid(namespace + "-" + name + "-uid")
                .addToLabels("app", "web").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/app").endContainer().endSpec()
                .withNewStatus().withPhase("Running").endStatus();
    }

    static PodFixtures pod(String namespace, String name) {
        return new PodFixtures(namespace, name);
    }

    /** As the injector leaves it: the native sidecar appended to the init containers, and its record. */
    PodFixtures injected() {
        pod.editMetadata().addToAnnotations(InjectionNames.INJECTED, "{\"version\":1}").endMetadata()
                .editSpec().addNewInitContainer().withName(InjectionNames.SIDECAR_CONTAINER).withImage("localhost/sluice-sidecar:1")
                .withRestartPolicy("Always").endInitContainer().endSpec();
        return this;
    }

    PodFixtures skipped(String why) {
        return annotated(InjectionNames.SKIPPED, why);
    }

    PodFixtures annotated(String key, String value) {
        pod.editMetadata().addToAnnotations(key, value).endMetadata();
        return this;
    }

    PodFixtures optedOut() {
        return labelled(InjectionNames.POD_OPT_OUT);
    }

    PodFixtures optedIn() {
        return labelled(InjectionNames.POD_OPT_IN);
    }

    PodFixtures labelled(String inject) {
        pod.editMetadata().addToLabels(InjectionNames.LABEL, inject).endMetadata();
        return this;
    }

    PodFixtures hostNetwork() {
        pod.editSpec().withHostNetwork(true).endSpec();
        return this;
    }

    PodFixtures phase(String phase) {
        pod.editStatus().withPhase(phase).endStatus();
        return this;
    }

    PodFixtures deleting() {
        pod.editMetadata().withDeletionTimestamp("2026-01-01T10:00:00Z").endMetadata();
        return this;
    }

    Pod build() {
        return pod.build();
    }
}
