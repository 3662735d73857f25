package dev.sluice.sidecar.redis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarFixture;
import dev.sluice.sidecar.SidecarSettings;
import dev.sluice.sidecar.http.TestUpstream;
import dev.sluice.sidecar.limit.LimiterClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One replica of an app: a real sidecar on 127.0.0.1 in front of its own {@link TestUpstream}. Several
 * replicas share a clock and a Redis, as the pods of one Deployment do.
 */
final class Replica implements AutoCloseable {
    final TestUpstream upstream;
    final Sidecar sidecar;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Replica(TestUpstream upstream, Sidecar sidecar) {
        this.upstream = upstream;
        this.sidecar = sidecar;
    }

    static Replica start(Path directory, String config, LimiterClock clock, RedisPassword password) throws Exception {
        Files.createDirectories(directory);
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, config);
        TestUpstream upstream = new TestUpstream();
        try {
            return new Replica(upstream, new Sidecar(SidecarSettings.loopback(file, upstream.uri()), clock, password).start());
        } catch (Exception | Error e) {
            upstream.close();
            throw e;
        }
    }

    /** Waits until Global decisions go to Redis (connected, breaker closed). */
    Replica awaitRedis() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> metric("rate_limit_store_available") == 1);
        return this;
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.port() + path))
                .timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    int status(String path, String... headers) {
        return get(path, headers).statusCode();
    }

    HttpResponse<String> admin(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + path)).build());
    }

    JsonNode adminJson(String path) {
        try {
            return ConfigLoader.json().readTree(admin(path).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Prometheus sample's value; a sample that is not there fails the test. */
    double metric(String sample) {
        return SidecarFixture.sample(admin("/metrics").body(), sample);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        sidecar.close();
        upstream.close();
    }
}
