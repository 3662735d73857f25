package dev.sluice.sidecar;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.http.TestUpstream;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;

/** A real sidecar on 127.0.0.1 in front of a real {@link TestUpstream}, with a config file the test can rewrite. */
public final class SidecarFixture implements AutoCloseable {
    public final TestUpstream upstream;
    public final ManualClock clock;
    public final Path configFile;
    public final Sidecar sidecar;
    public final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SidecarFixture(Path directory, String config, ManualClock clock, UnaryOperator<SidecarSettings> settings) throws Exception {
        this(directory, config, clock, settings, new TestUpstream());
    }

    private SidecarFixture(Path directory, String config, ManualClock clock, UnaryOperator<SidecarSettings> settings,
                           TestUpstream upstream) throws Exception {
        this.upstream = upstream;
        this.clock = clock;
        this.configFile = directory.resolve("sidecar.yaml");
        if (config != null) {
            Files.writeString(configFile, config);
        }
        LimiterClock limiterClock = clock == null ? LimiterClock.SYSTEM : clock;
        this.sidecar = new Sidecar(settings.apply(SidecarSettings.loopback(configFile, upstream.uri())), limiterClock, null).start();
    }

    /** A sidecar whose limiters read a manual clock starting at {@code start}. */
    public static SidecarFixture withClock(Path directory, String config, Instant start) throws Exception {
        return new SidecarFixture(directory, config, new ManualClock(start), UnaryOperator.identity());
    }

    public static SidecarFixture withClock(Path directory, String config, Instant start, UnaryOperator<SidecarSettings> settings)
            throws Exception {
        return new SidecarFixture(directory, config, new ManualClock(start), settings);
    }

    /** A sidecar on a manual clock in front of an upstream that answers up to {@code upstreamThreads} requests at once. */
    public static SidecarFixture withUpstreamThreads(Path directory, String config, Instant start, int upstreamThreads) throws Exception {
        return withUpstreamThreads(directory, config, start, upstreamThreads, UnaryOperator.identity());
    }

    public static SidecarFixture withUpstreamThreads(Path directory, String config, Instant start, int upstreamThreads,
                                                     UnaryOperator<SidecarSettings> settings) throws Exception {
        return new SidecarFixture(directory, config, new ManualClock(start), settings, new TestUpstream(upstreamThreads));
    }

    /**
     * A sidecar started with {@code --config-optional} on {@code directory/sidecar.yaml}, which the test creates
     * (or not), on a manual clock starting at {@code start}.
     */
    public static SidecarFixture withOptionalConfig(Path directory, Instant start, UnaryOperator<SidecarSettings> settings)
            throws Exception {
        return new SidecarFixture(directory, null, new ManualClock(start), settings.andThen(SidecarSettings::withConfigOptional)::apply);
    }

    public static SidecarFixture withSystemClock(Path directory, String config) throws Exception {
        return new SidecarFixture(directory, config, null, UnaryOperator.identity());
    }

    public URI traffic(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + sidecar.port() + pathAndQuery);
    }

    public HttpResponse<String> get(String pathAndQuery, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(traffic(pathAndQuery)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The status of {@code count} GETs in a row, e.g. "200 200 429". */
    public String statuses(int count, String pathAndQuery, String... headers) {
        StringBuilder statuses = new StringBuilder();
        for (int i = 0; i < count; i++) {
            statuses.append(i == 0 ? "" : " ").append(get(pathAndQuery, headers).statusCode());
        }
        return statuses.toString();
    }

    public HttpResponse<String> admin(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + path)).build());
    }

    public JsonNode adminJson(String path) {
        try {
            return ConfigLoader.json().readTree(admin(path).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Prometheus sample's value, e.g. {@code rate_limit_rejected_total{limit_type="client",policy="api",rule="r"}}. */
    public double metric(String sample) {
        return sample(admin("/metrics").body(), sample);
    }

    /**
     * A sample's value in Prometheus text. A sample that is not there fails the test: reading it as 0
     * would let a check for zero pass on a meter that does not exist or whose name or labels are wrong.
     */
    public static double sample(String metrics, String sample) {
        String name = sample.contains("{") ? sample.substring(0, sample.indexOf('{')) : sample;
        StringBuilder sameName = new StringBuilder();
        for (String line : metrics.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sameName.append("\n  ").append(line);
            }
        }
        throw new AssertionError("no sample " + sample + " in /metrics"
                + (sameName.isEmpty() ? "; nothing named " + name : "; samples named " + name + ":" + sameName));
    }

    /** Rewrites the config file (unless {@code config} is null: the test wrote it) and waits until the sidecar runs {@code generation}. */
    public void reload(String config, long generation) throws IOException {
        if (config != null) {
            writeConfig(config);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> adminJson("/config").path("generation").asLong() == generation);
    }

    /** Replaces the file as a ConfigMap volume does: a new file renamed over the old. */
    public void writeConfig(String config) throws IOException {
        Path next = configFile.resolveSibling("sidecar.yaml.next");
        Files.writeString(next, config, StandardCharsets.UTF_8);
        Files.move(next, configFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Stops the sidecar and the upstream, answering first whatever the upstream holds, so that the sidecar waits on nothing. */
    @Override
    public void close() {
        upstream.stopHolding();
        sidecar.close();
        upstream.close();
    }
}
