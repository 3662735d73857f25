package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.sidecar.http.TestUpstream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

    /** An injected sidecar's startup probe asks /healthz: the app must not start before the limits are in force. */
    @Test
    void healthAnswersOnlyOnceTheFirstConfigurationIsLoaded() throws Exception {
        // The config file is a named pipe: reading it blocks until the test writes it, so the sidecar is held
        // before its first configuration for as long as the test looks.
        Path config = directory.resolve("sidecar.yaml");
        assertThat(new ProcessBuilder("mkfifo", config.toString()).inheritIO().start().waitFor()).isZero();
        int adminPort;
        try (ServerSocket free = new ServerSocket(0)) {
            adminPort = free.getLocalPort();
        }
        ExecutorService starting = Executors.newSingleThreadExecutor();
        try (TestUpstream upstream = new TestUpstream()) {
            SidecarSettings loopback = SidecarSettings.loopback(config, upstream.uri());
            // Not polled again while the test runs: a second read of the pipe would wait for a writer.
            Sidecar sidecar = new Sidecar(new SidecarSettings(config, upstream.uri(), "127.0.0.1", 0, adminPort, null,
                    loopback.upstreamTimeout(), Duration.ofHours(1), loopback.connectionsPerThread(), loopback.shutdownGrace(), false, null,
                    loopback.logLevel(), null, loopback.upgradeIdleTimeout(), loopback.caps()));
            Future<Sidecar> started = starting.submit(sidecar::start);
            try {
                assertThatThrownBy(() -> new Socket("127.0.0.1", adminPort).close()).as("the admin port before the configuration is read")
                        .isInstanceOf(ConnectException.class);
                assertThat(started).isNotDone();

                Files.writeString(config, "generation: 3\npolicies: []\n");
                started.get(30, TimeUnit.SECONDS);

                HttpResponse<String> health = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(sidecar.enforcement().generation()).isEqualTo(3);
            } finally {
                sidecar.close();
            }
        } finally {
            starting.shutdownNow();
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
