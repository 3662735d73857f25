package dev.sluice.operator.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.api.flags.Flags;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InjectionSettingsTest {

    private static InjectionSettings parse(Map<String, String> env, String... args) {
        return InjectionSettings.parse(Flags.settings(args, env, InjectionSettings.FLAGS, "usage"));
    }

    @Test
    void offByDefault() {
        InjectionSettings settings = parse(Map.of());

        assertThat(settings.enabled()).isFalse();
        assertThat(settings.adminPort()).isEqualTo(15021);
        assertThat(settings.drainSeconds()).isEqualTo(5);
        assertThat(settings.pullPolicy()).isEqualTo("IfNotPresent");
        assertThat(settings.resources()).isEqualTo(InjectionSettings.DEFAULT_RESOURCES);
        assertThat(settings.allowedImages()).isEmpty();
        assertThat(settings.resourceOverrides()).isFalse();
        assertThat(settings.redisSecretName()).isNull();
    }

    @Test
    void everyFlagFromTheEnvironmentAsTheChartSetsThem() {
        InjectionSettings settings = parse(Map.of("SLUICE_INJECTION", "true", "SLUICE_SIDECAR_IMAGE", "reg/sluice-sidecar:1",
                "SLUICE_SIDECAR_IMAGE_PULL_POLICY", "Always",
                "SLUICE_SIDECAR_RESOURCES", "{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},\"limits\":{\"memory\":\"128Mi\"}}",
                "SLUICE_SIDECAR_ADMIN_PORT", "15500", "SLUICE_SIDECAR_DRAIN_SECONDS", "10",
                "SLUICE_INJECTION_ALLOWED_IMAGES", "reg/a:1, reg/b:2", "SLUICE_INJECTION_RESOURCE_OVERRIDES", "true",
                "SLUICE_SIDECAR_REDIS_SECRET", "sluice-redis/password"));

        assertThat(settings.enabled()).isTrue();
        assertThat(settings.image()).isEqualTo("reg/sluice-sidecar:1");
        assertThat(settings.pullPolicy()).isEqualTo("Always");
        assertThat(settings.resources().getRequests()).containsEntry("cpu", new Quantity("100m")).containsEntry("memory", new Quantity("64Mi"));
        assertThat(settings.resources().getLimits()).containsEntry("memory", new Quantity("128Mi"));
        assertThat(settings.adminPort()).isEqualTo(15500);
        assertThat(settings.drainSeconds()).isEqualTo(10);
        assertThat(settings.allowedImages()).containsExactlyInAnyOrder("reg/a:1", "reg/b:2");
        assertThat(settings.resourceOverrides()).isTrue();
        assertThat(settings.redisSecretName()).isEqualTo("sluice-redis");
        assertThat(settings.redisSecretKey()).isEqualTo("password");
    }

    @Test
    void injectionNeedsAnImage() {
        assertThatThrownBy(() -> parse(Map.of(), "--injection=true")).hasMessageContaining("--injection=true needs --sidecar-image");
    }

    @Test
    void badValuesAreRefusedNamingTheFlagAndTheValue() {
        assertThatThrownBy(() -> parse(Map.of(), "--injection=yes")).hasMessageContaining("--injection").hasMessageContaining("'yes'");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-image-pull-policy=Sometimes"))
                .hasMessageContaining("--sidecar-image-pull-policy").hasMessageContaining("'Sometimes'");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-admin-port=0")).hasMessageContaining("--sidecar-admin-port '0'");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-admin-port=70000")).hasMessageContaining("--sidecar-admin-port '70000'");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-drain-seconds=301")).hasMessageContaining("--sidecar-drain-seconds '301'")
                .hasMessageContaining("0-300");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-redis-secret=justaname")).hasMessageContaining("--sidecar-redis-secret")
                .hasMessageContaining("'justaname'");
        assertThatThrownBy(() -> parse(Map.of(), "--injection-resource-overrides=maybe")).hasMessageContaining("--injection-resource-overrides");
    }

    @Test
    void resourcesMustBeValidRequirements() {
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-resources={requests"))
                .hasMessageContaining("--sidecar-resources must be a ResourceRequirements as JSON").hasMessageContaining("'{requests'");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-resources={\"request\":{\"cpu\":\"1\"}}"))
                .hasMessageContaining("--sidecar-resources");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-resources={\"requests\":{\"cpu\":\"fast\"}}"))
                .hasMessageContaining("requests.cpu 'fast' is not a Kubernetes quantity");
        assertThatThrownBy(() -> parse(Map.of(), "--sidecar-resources={\"requests\":{\"memory\":\"1Gi\"},\"limits\":{\"memory\":\"256Mi\"}}"))
                .hasMessageContaining("the memory request 1Gi is above its limit 256Mi");
    }
}
