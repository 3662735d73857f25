package dev.sluice.operator.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus}) on a free 127.0.0.1 port, with its data in a
 * directory of the test's, and its HTTP API. {@link #close()} stops the process it started, by its handle.
 */
final class LivePrometheus implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Process process;
    private final URI base;
    private final Path log;

    private LivePrometheus(Process process, URI base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /** Starts Prometheus with {@code config} (its rule_files as absolute paths) under {@code directory}. */
    static LivePrometheus start(Path directory, String config) throws IOException {
        Path configFile = Files.writeString(directory.resolve("prometheus.yml"), config);
        int port = freePort();
        Path log = directory.resolve("prometheus.log");
        Process process = new ProcessBuilder(Promtool.binary("prometheus").toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + directory.resolve("data"),
                "--storage.tsdb.retention.time=1h",
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new LivePrometheus(process, URI.create("http://127.0.0.1:" + port), log);
    }

    /** {@code /api/v1/query} at the server's now: the result vector (empty while the query finds no series). */
    JsonNode query(String promql) {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("data").path("result");
    }

    /** {@code /api/v1/alerts}: every pending and firing alert. */
    List<JsonNode> alerts() {
        List<JsonNode> alerts = new ArrayList<>();
        get("/api/v1/alerts").path("data").path("alerts").forEach(alerts::add);
        return alerts;
    }

    /** {@code /api/v1/series} for {@code match}: the label sets of every series it selects. */
    List<JsonNode> series(String match) {
        List<JsonNode> series = new ArrayList<>();
        get("/api/v1/series?match[]=" + URLEncoder.encode(match, StandardCharsets.UTF_8)).path("data").forEach(series::add);
        return series;
    }

    /** {@code /api/v1/targets}: the active targets with their health. */
    List<JsonNode> targets() {
        List<JsonNode> targets = new ArrayList<>();
        get("/api/v1/targets").path("data").path("activeTargets").forEach(targets::add);
        return targets;
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private JsonNode get(String path) {
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + log());
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = MonitoringFiles.JSON.readTree(response.body());
            if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
                throw new IllegalStateException(path + " -> " + response.statusCode() + " " + response.body());
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
