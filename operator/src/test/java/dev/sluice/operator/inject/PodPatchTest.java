package dev.sluice.operator.inject;

import static dev.sluice.operator.inject.PodFixtures.NS;
import static dev.sluice.operator.inject.PodFixtures.app;
import static dev.sluice.operator.inject.PodFixtures.container;
import static dev.sluice.operator.inject.PodFixtures.httpApp;
import static dev.sluice.operator.inject.PodFixtures.httpGet;
import static dev.sluice.operator.inject.PodFixtures.pod;
import static dev.sluice.operator.inject.PodFixtures.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The patch applied to the pod the API server sent (by zjsonpatch, as an RFC 6902 implementation) gives exactly the injector's pod. */
class PodPatchTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PodInjector injector = new PodInjector(InjectionSettings.enabled("sluice-sidecar:1"), Set.of("kube-system"), () -> "token");

    private JsonNode applied(Pod original, Pod changed) throws Exception {
        List<Map<String, Object>> patch = PodPatch.between(original, changed, SERIALIZATION);
        return JsonPatch.apply(JSON.readTree(SERIALIZATION.asJson(patch)), JSON.readTree(SERIALIZATION.asJson(original)));
    }

    private void assertPatchGives(Pod original, Pod changed) throws Exception {
        assertThat(applied(original, changed)).isEqualTo(JSON.readTree(SERIALIZATION.asJson(changed)));
    }

    @Test
    void thePatchOfAnInjectionGivesTheInjectedPod() throws Exception {
        Pod original = pod().initContainer(container("migrate")).container(httpApp().withReadinessProbe(httpGet("/ready", port("http"))))
                .container(container("log-shipper")).build();

        assertPatchGives(original, injector.inject(original, NS, NamespaceMode.ENABLED, NamespaceServices.none()).pod());
    }

    @Test
    void theTokenVolumeIsAddedBesideThePodsOwnVolumesWhichStay() throws Exception {
        Pod original = pod().container(httpApp()).with(b -> b.editSpec().withAutomountServiceAccountToken(false)
                .addNewVolume().withName("data").withNewEmptyDir().endEmptyDir().endVolume().endSpec()).build();
        Pod injected = injector.inject(original, NS, NamespaceMode.ENABLED, NamespaceServices.none()).pod();

        JsonNode volumes = applied(original, injected).path("spec").path("volumes");

        assertThat(volumes).extracting(volume -> volume.path("name").asText())
                .containsExactly("data", "sluice-config", "sluice-podinfo", "sluice-tmp", "sluice-api");
        JsonNode sources = volumes.get(4).path("projected").path("sources");
        assertThat(sources.get(0).path("serviceAccountToken").path("expirationSeconds").asLong()).isEqualTo(3600);
        assertThat(sources.get(1).path("configMap").path("name").asText()).isEqualTo("kube-root-ca.crt");
        assertPatchGives(original, injected);
    }

    @Test
    void annotationsOfOthersStayAndKeysWithSlashesAndTildesAreEscaped() throws Exception {
        Pod original = pod().annotation("example.com/owner", "team-a").annotation("odd~key/x", "1").container(httpApp()).build();
        Pod injected = injector.inject(original, NS, NamespaceMode.ENABLED, NamespaceServices.none()).pod();

        List<Map<String, Object>> patch = PodPatch.between(original, injected, SERIALIZATION);

        assertThat(patch).extracting(operation -> operation.get("path")).contains("/metadata/annotations/sluice.dev~1injected")
                .doesNotContain("/metadata/annotations");
        assertThat(PodPatch.escape("odd~key/x")).isEqualTo("odd~0key~1x");
        JsonNode result = applied(original, injected);
        assertThat(result.path("metadata").path("annotations").path("example.com/owner").asText()).isEqualTo("team-a");
        assertPatchGives(original, injected);
    }

    @Test
    void aSkippedPodIsPatchedWithItsAnnotationOnlyAndAStaleOneIsRemovedOnInjection() throws Exception {
        Pod noContract = pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()).build();
        Pod skipped = injector.inject(noContract, NS, NamespaceMode.ENABLED, NamespaceServices.none()).pod();

        List<Map<String, Object>> patch = PodPatch.between(noContract, skipped, SERIALIZATION);
        assertThat(patch).singleElement().satisfies(operation -> {
            assertThat(operation).containsEntry("op", "add").containsEntry("path", "/metadata/annotations");
            assertThat(((Map<?, ?>) operation.get("value")).keySet()).isEqualTo(Set.of(InjectionNames.SKIPPED));
        });
        assertPatchGives(noContract, skipped);

        Pod stale = pod().annotation(InjectionNames.SKIPPED, "old").annotation("keep", "me").container(httpApp()).build();
        Pod injected = injector.inject(stale, NS, NamespaceMode.ENABLED, NamespaceServices.none()).pod();
        assertThat(PodPatch.between(stale, injected, SERIALIZATION)).anySatisfy(operation -> assertThat(operation)
                .containsEntry("op", "remove").containsEntry("path", "/metadata/annotations/sluice.dev~1injection-skipped"));
        assertPatchGives(stale, injected);
    }

    @Test
    void nothingChangedIsAnEmptyPatch() {
        Pod pod = pod().container(httpApp()).build();

        assertThat(PodPatch.between(pod, SERIALIZATION.clone(pod), SERIALIZATION)).isEmpty();
    }

    @Test
    void aChangeThePatchWouldNotCarryIsAnErrorNotASilentLoss() {
        Pod pod = pod().container(httpApp()).build();
        Pod changed = SERIALIZATION.clone(pod);
        changed.getSpec().setHostNetwork(true);

        assertThatThrownBy(() -> PodPatch.between(pod, changed, SERIALIZATION)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside containers");
    }
}
