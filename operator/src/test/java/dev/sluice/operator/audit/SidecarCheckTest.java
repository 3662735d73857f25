package dev.sluice.operator.audit;

import static dev.sluice.operator.audit.PodFixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(SidecarCheck.missing(pod("shop", "web-1").injected().build(), ContractNames.REQUIRED)).isEmpty();
        // A sidecar someone added by hand counts too: what matters is the container, not the injector's record.
        assertThat(SidecarCheck.missing(new PodBuilder(pod("shop", "web-2").build()).editSpec().addNewContainer()
                .withName(ContractNames.SIDECAR).withImage("localhost/sluice-sidecar:1").endContainer().endSpec().build(),
                ContractNames.REQUIRED)).isEmpty();
    }

    @Test
    void hostNetworkFinishedAndDeletingPodsAreNeverMissingIt() {
        assertThat(List.of(pod("shop", "a").hostNetwork(), pod("shop", "b").phase("Succeeded"), pod("shop", "c").phase("Failed"),
                pod("shop", "d").deleting())).allSatisfy(pod ->
                assertThat(SidecarCheck.missing(pod.build(), ContractNames.REQUIRED)).isEmpty());
        assertThat(SidecarCheck.missing(pod("shop", "e").phase("Pending").build(), ContractNames.REQUIRED)).isPresent();
    }

    @Test
    void theInjectorsReasonIsQuoted() {
        String why = "no HTTP port: name the container port http, or annotate sluice.dev/port";

        assertThat(SidecarCheck.missing(pod("shop", "db").skipped(why).build(), ContractNames.ENABLED))
                .contains("created without the Sluice sidecar: " + why);
    }

    @Test
    void anInjectedRecordWithoutTheSidecarIsReportedAsSuch() {
        assertThat(SidecarCheck.missing(pod("shop", "copied").annotated(ContractNames.INJECTED, "{\"version\":1}").build(),
                ContractNames.REQUIRED)).contains(SidecarCheck.ANNOTATED_WITHOUT_SIDECAR);
    }

    @Test
    void findingsCountPerAuditedNamespaceWithZeros() {
        AuditFindings findings = AuditFindings.of(Map.of("shop", ContractNames.ENABLED, "quiet", ContractNames.REQUIRED), List.of(
                pod("shop", "a").build(), pod("shop", "b").injected().build(), pod("shop", "c").build(), pod("quiet", "d").injected().build(),
                pod("elsewhere", "e").optedIn().build()));

        assertThat(findings.missingByNamespace()).containsExactlyInAnyOrderEntriesOf(Map.of("shop", 2, "quiet", 0, "elsewhere", 1));
        assertThat(findings.missing()).extracting(missing -> missing.pod().getMetadata().getName()).containsExactlyInAnyOrder("a", "c", "e");
    }
}
