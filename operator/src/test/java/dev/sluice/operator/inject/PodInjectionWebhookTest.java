package dev.sluice.operator.inject;

import static dev.sluice.operator.inject.PodFixtures.httpApp;
import static dev.sluice.operator.inject.PodFixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequestBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** What the webhook answers when it cannot decide, and what it counts; the HTTPS path is in PodInjectionWebhookIT. */
class PodInjectionWebhookTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PodInjector injector = new PodInjector(InjectionSettings.enabled("sidecar:1"), Set.of("kube-system"), () -> "token");

    private AdmissionResponse respond(Function<String, NamespaceMode> modes, Pod pod, boolean dryRun) {
        PodInjectionWebhook webhook = new PodInjectionWebhook(injector, modes, NamespaceServices.none(), new InjectionMetrics(registry), new KubernetesSerialization());
        AdmissionRequest request = new AdmissionRequestBuilder().withUid("uid-1").withOperation("CREATE").withNamespace("shop")
                .withNewKind("", "Pod", "v1").withObject(pod).withDryRun(dryRun).build();
        return webhook.respond(request);
    }

    private double count(String result, String reason) {
        Counter counter = registry.find("sluice_pod_injections").tags("result", result, "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aNamespaceWhoseModeCannotBeReadRefusesThePodAsItMayRequireTheSidecar() {
        AdmissionResponse response = respond(namespace -> {
            throw new IllegalStateException("the namespaces' labels have not been read yet");
        }, pod().container(httpApp()).build(), false);

        assertThat(response.getAllowed()).isFalse();
        assertThat(response.getUid()).isEqualTo("uid-1");
        assertThat(response.getStatus().getCode()).isEqualTo(500);
        assertThat(response.getStatus().getMessage()).contains("have not been read yet", "retry");
        assertThat(count("failed", "namespace_unknown")).isEqualTo(1);
    }

    @Test
    void aFailureToInjectRefusesWhereTheSidecarIsRequiredAndAdmitsWithAWarningElsewhere() {
        Pod broken = pod().container(httpApp()).build();
        broken.setSpec(null);

        AdmissionResponse required = respond(namespace -> NamespaceMode.REQUIRED, broken, false);
        assertThat(required.getAllowed()).isFalse();
        assertThat(required.getStatus().getCode()).isEqualTo(500);

        AdmissionResponse enabled = respond(namespace -> NamespaceMode.ENABLED, broken, false);
        assertThat(enabled.getAllowed()).isTrue();
        assertThat(enabled.getPatch()).isNull();
        assertThat(enabled.getWarnings()).singleElement().asString().contains("runs without the sidecar");
        assertThat(count("failed", "error")).isEqualTo(2);
    }

    @Test
    void injectionsAndSkipsAreCountedButDryRunsAreNot() {
        respond(namespace -> NamespaceMode.ENABLED, pod().container(httpApp()).build(), false);
        respond(namespace -> NamespaceMode.ENABLED, pod().container(PodFixtures.app()).build(), false);
        AdmissionResponse dryRun = respond(namespace -> NamespaceMode.ENABLED, pod().container(httpApp()).build(), true);

        assertThat(dryRun.getPatchType()).as("a dry run is answered the same way").isEqualTo("JSONPatch");
        assertThat(count("injected", "none")).isEqualTo(1);
        assertThat(count("skipped", "no_http_port")).isEqualTo(1);
    }

    @Test
    void otherOperationsAndKindsAreLetThroughUntouched() {
        PodInjectionWebhook webhook = new PodInjectionWebhook(injector, namespace -> NamespaceMode.REQUIRED, NamespaceServices.none(), new InjectionMetrics(registry),
                new KubernetesSerialization());

        AdmissionResponse update = webhook.respond(new AdmissionRequestBuilder().withUid("u").withOperation("UPDATE").withNamespace("shop")
                .withNewKind("", "Pod", "v1").withObject(pod().container(httpApp()).build()).build());

        assertThat(update.getAllowed()).isTrue();
        assertThat(update.getPatch()).isNull();
    }
}
