package dev.sluice.operator.monitoring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real sidecar as its own process: the sidecar module's shaded jar, as users run it standalone, on free
 * 127.0.0.1 ports in front of {@code upstream}. {@link #close()} stops it by its handle.
 */
final class LiveSidecar implements AutoCloseable {
    /**
     * Built by the sidecar module's package phase, before this module's tests in the reactor (the operator
     * depends on the sidecar). Not the test class path: it leaves out Lettuce (netty 4.2 against the mock
     * server's 4.1), which the sidecar's Global policies need.
     */
    static final Path JAR = Path.of("..", "sidecar", "target", "sluice-sidecar.jar");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Process process;
    private final int port;
    private final int adminPort;
    private final Path log;

    private LiveSidecar(Process process, int port, int adminPort, Path log) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.log = log;
    }

    static LiveSidecar start(Path directory, String config, URI upstream) throws IOException {
        Path configFile = Files.writeString(directory.resolve("sidecar.yaml"), config);
        int port = LivePrometheus.freePort();
        int adminPort = LivePrometheus.freePort();
        Path log = directory.resolve("sidecar.log");
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR.toAbsolutePath().normalize() + " is missing: build the sidecar first"
                    + " (mvn -P '!images' -pl sidecar package -DskipTests, or the whole reactor)");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", JAR.toString(),
                "--config", configFile.toString(), "--upstream", upstream.toString(), "--port", String.valueOf(port),
                "--admin-port", String.valueOf(adminPort), "--bind", "127.0.0.1"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new LiveSidecar(process, port, adminPort, log);
    }

    URI traffic() {
        return URI.create("http://127.0.0.1:" + port);
    }

    int adminPort() {
        return adminPort;
    }

    /** 200 from /readyz: the configuration is in force and traffic is served. */
    boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("the sidecar exited with " + process.exitValue() + ":\n" + log());
        }
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    String scrape() throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
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
}
