package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin port: separate from traffic, and what it tells. */
class AdminIT {
    @TempDir
    Path directory;

    @Test
    void healthReadinessMetricsAndConfig() throws Exception {
        Path labels = directory.resolve("labels");
        Files.writeString(labels, "app=\"web\"\npod-template-hash=\"5d8f\"\n");
        String config = """
                generation: 12
                # Nothing listens there: the Global policy applies its failure mode, and the sidecar stays ready.
                redis: {addresses: ['127.0.0.1:1'], connectTimeout: 200ms}
                policies:
                  - name: web-limits
                    namespace: shop
                    podSelector: {matchLabels: {app: web}}
                    scope: Global
                    rules: [{name: all, limits: [{requests: 10, period: 1s}]}]
                  - name: batch-limits
                    namespace: shop
                    podSelector: {matchLabels: {app: batch}}
                    rules: [{name: all, limits: [{requests: 1, period: 1s}]}]
                """;
        try (SidecarFixture fixture = SidecarFixture.withClock(directory, config, Instant.now(), s -> s.withPodLabels(labels))) {
            assertThat(fixture.sidecar.adminPort()).isNotEqualTo(fixture.sidecar.port());
            assertThat(fixture.admin("/healthz").statusCode()).isEqualTo(200);
            assertThat(fixture.admin("/readyz").statusCode()).isEqualTo(200);
            assertThat(fixture.admin("/nothing").statusCode()).isEqualTo(404);
            fixture.get("/");

            JsonNode view = fixture.adminJson("/config");
            assertThat(view.path("generation").asLong()).isEqualTo(12);
            assertThat(view.path("sha256").asText()).hasSize(64);
            assertThat(view.path("podLabels").path("app").asText()).isEqualTo("web");
            assertThat(view.path("appliedPolicies").toString()).isEqualTo("[\"shop/web-limits\"]");
            assertThat(view.path("warnings").get(0).asText()).contains("scope Global without replicas");
            assertThat(view.path("rules").get(0).path("keys").asLong()).isEqualTo(1);
            assertThat(view.path("config").path("policies")).hasSize(2);

            String metrics = fixture.admin("/metrics").body();
            assertThat(metrics).contains("sluice_config_generation 12.0");
            assertThat(metrics).contains("sluice_proxy_request_duration_seconds_bucket{status=\"2xx\"");
            assertThat(metrics).contains("rate_limit_requests_total{limit_type=\"global\",policy=\"shop/web-limits\",rule=\"all\"} 1.0");
            assertThat(metrics).contains("jvm_memory_used_bytes");
        }
    }

    @Test
    void aSampleMissingFromMetricsFailsTheTestInsteadOfReadingZero() throws Exception {
        try (SidecarFixture fixture = SidecarFixture.withClock(directory, "policies: []\n", Instant.now())) {
            assertThat(fixture.metric("sluice_config_last_reload_failed")).isZero();

            assertThatThrownBy(() -> fixture.metric("sluice_config_last_reload_failed{result=\"failure\"}"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("sluice_config_last_reload_failed{result=\"failure\"}");
            assertThatThrownBy(() -> fixture.metric("sluice_no_such_meter_total")).isInstanceOf(AssertionError.class);
        }
    }
}
