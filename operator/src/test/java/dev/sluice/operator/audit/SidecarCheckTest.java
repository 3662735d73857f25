package dev.sluice.operator.audit;

import dev.sluice.api.inject.InjectionNames;
import static dev.sluice.operator.audit.PodFixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SidecarCheckTest {
    @ParameterizedTest(name = "namespace {0}, pod label {1}: selected {2}")
    @CsvSource(nullValues = "-", value = {
        "enabled,  -,     true",
        "enabled,  true,  true",
        "enabled,  false, false",
        "required, -,     true",
        "required, false, true",
        "-,        true,  true",
        "-,        -,     false",
        "-,        false, false",
        "disabled, true,  false"})
    void aPodIsSelectedAsTheWebhooksSelectIt(String namespaceMode, String podLabel, boolean selected) {
        PodFixtures pod = pod("shop", "web-1");
        if (podLabel != null) {
            pod.labelled(podLabel);
        }

        assertThat(SidecarCheck.selected(pod.build(), namespaceMode)).isEqualTo(selected);
        assertThat(SidecarCheck.missing(pod.build(), namespaceMode)).as("missing").isEqualTo(selected
                ? Optional.of(SidecarCheck.NOT_CALLED) : Optional.empty());
    }

    @Test
    void aPodWithTheSidecarIsNotMissingIt() {
        assertThat(SidecarCheck.missing(pod("shop", "web-1").injected().build(), InjectionNames.NAMESPACE_REQUIRED)).isEmpty();
        // A sidecar someone added by hand counts too: what matters is the container, not the injector's record.
        assertThat(SidecarCheck.missing(new PodBuilder(pod("shop", "web-2").build()).editSpec().addNewContainer()
                .withName(InjectionNames.SIDECAR_CONTAINER).withImage("localhost/sluice-sidecar:1").endContainer().endSpec().build(),
                InjectionNames.NAMESPACE_REQUIRED)).isEmpty();
    }

    @Test
    void hostNetworkFinishedAndDeletingPodsAreNeverMissingIt() {
        assertThat(List.of(pod("shop", "a").hostNetwork(), pod("shop", "b").phase("Succeeded"), pod("shop", "c").phase("Failed"),
                pod("shop", "d").deleting())).allSatisfy(pod ->
                assertThat(SidecarCheck.missing(pod.build(), InjectionNames.NAMESPACE_REQUIRED)).isEmpty());
        assertThat(SidecarCheck.missing(pod("shop", "e").phase("Pending").build(), InjectionNames.NAMESPACE_REQUIRED)).isPresent();
    }

    @Test
    void theInjectorsReasonIsQuoted() {
        String why = "no HTTP port: name the container port http, or annotate sluice.dev/port";

        assertThat(SidecarCheck.missing(pod("shop", "db").skipped(why).build(), InjectionNames.NAMESPACE_ENABLED))
                .contains("created without the Sluice sidecar: " + why);
    }

    @Test
    void aContainerTheInjectorRefusedAsNotTheSidecarIsNoSidecar() {
        String why = "the pod already has a container named sluice-sidecar (image evil/proxy:1), which is not the Sluice sidecar";
        Pod pod = new PodBuilder(pod("shop", "fake").skipped(why).build()).editSpec().addNewInitContainer()
                .withName(InjectionNames.SIDECAR_CONTAINER).withImage("evil/proxy:1").endInitContainer().endSpec().build();

        assertThat(SidecarCheck.missing(pod, InjectionNames.NAMESPACE_REQUIRED)).contains("created without the Sluice sidecar: " + why);
    }

    @Test
    void anInjectedRecordWithoutTheSidecarIsReportedAsSuch() {
        assertThat(SidecarCheck.missing(pod("shop", "copied").annotated(InjectionNames.INJECTED, "{\"version\":1}").build(),
                InjectionNames.NAMESPACE_REQUIRED)).contains(SidecarCheck.ANNOTATED_WITHOUT_SIDECAR);
    }

    @Test
    void findingsCountPerAuditedNamespaceWithZeros() {
        AuditFindings findings = AuditFindings.of(Map.of("shop", InjectionNames.NAMESPACE_ENABLED, "quiet", InjectionNames.NAMESPACE_REQUIRED), List.of(
                pod("shop", "a").build(), pod("shop", "b").injected().build(), pod("shop", "c").build(), pod("quiet", "d").injected().build(),
                pod("elsewhere", "e").optedIn().build()));

        assertThat(findings.missingByNamespace()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 2, "quiet", 0, "elsewhere", 1));
        assertThat(findings.missing()).extracting(missing -> missing.pod().getMetadata().getName()).containsExactlyInAnyOrder("a", "c", "e");
    }
}
