package dev.sluice.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.LabelSelector;
import dev.sluice.operator.Pods;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrunedPodsTest {
    private static final Instant READY = Instant.parse("2026-11-28T04:00:00Z");

    @Test
    void aPrunedPodAnswersEveryQuestionStatusAsksAsTheWholePodDoes() {
        Pod whole = bulky(Pods.pod("shop", "web-0").labelled("app", "web").injected().adminPort(15099).ready(READY).ip("10.0.0.7").build());

        Pod pruned = PrunedPods.prune(whole);

        assertThat(PodSidecars.hasSidecar(pruned)).isEqualTo(PodSidecars.hasSidecar(whole)).isTrue();
        assertThat(PodSidecars.sidecarReady(pruned)).isEqualTo(PodSidecars.sidecarReady(whole)).isTrue();
        assertThat(PodSidecars.readySince(pruned)).isEqualTo(PodSidecars.readySince(whole)).isPresent();
        assertThat(PodSidecars.adminPort(pruned)).isEqualTo(PodSidecars.adminPort(whole)).isEqualTo(15099);
        LabelSelector web = new LabelSelector(Map.of("app", "web"), null);
        assertThat(SelectedPods.selects(web, pruned)).isEqualTo(SelectedPods.selects(web, whole)).isTrue();
        assertThat(pruned.getStatus().getPodIP()).isEqualTo("10.0.0.7");
        assertThat(pruned.getMetadata().getResourceVersion()).as("the informer's bookkeeping").isEqualTo("42");
        assertThat(pruned.getMetadata().getUid()).isEqualTo(whole.getMetadata().getUid());

        assertThat(pruned.getMetadata().getManagedFields()).isEmpty();
        assertThat(pruned.getMetadata().getAnnotations()).isEmpty();
        assertThat(pruned.getSpec().getVolumes()).isEmpty();
        assertThat(pruned.getSpec().getContainers()).allSatisfy(container -> assertThat(container.getEnv()).isEmpty());
        assertThat(Serialization.asJson(pruned).length()).as("what the cache holds").isLessThan(Serialization.asJson(whole).length() / 3);
    }

    @Test
    void aDeletedFinishedOrBarePodStaysWhatItWas() {
        Pod deleting = PrunedPods.prune(Pods.pod("shop", "old").labelled("app", "web").injected().deleting().build());
        assertThat(SelectedPods.selects(new LabelSelector(Map.of("app", "web"), null), deleting)).isFalse();
        Pod bare = PrunedPods.prune(new PodBuilder().withNewMetadata().withName("bare").endMetadata().build());
        assertThat(bare.getMetadata().getName()).isEqualTo("bare");
        assertThat(PodSidecars.hasSidecar(bare)).isFalse();
    }

    /** The pod with what a real one carries besides: annotations, managed fields, env and volumes. */
    private static Pod bulky(Pod pod) {
        PodBuilder builder = new PodBuilder(pod).editMetadata().withUid("uid-1").withResourceVersion("42")
                .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"a\":\"" + "x".repeat(2_000) + "\"}")
                .addToManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").withOperation("Apply").build())
                .endMetadata();
        builder.editSpec().addNewContainer().withName("app").withImage("app:1").addNewEnv().withName("PORT").withValue("15100").endEnv()
                .endContainer().addNewVolume().withName("www").withNewEmptyDir().endEmptyDir().endVolume().endSpec();
        return builder.build();
    }
}
