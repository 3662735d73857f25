package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * The shaded sidecar ({@code sidecar/target/sluice-sidecar.jar}) as its own process on 127.0.0.1, on a
 * config file and a pod-labels file, as it runs next to a pod (with the kubelet replaced by the test).
 */
final class SidecarProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final int adminPort;
    private final Path log;

    private SidecarProcess(Process process, int port, int adminPort, Path log) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.log = log;
    }

    /** Starts the sidecar in front of {@code upstream} and waits until its admin port says it is ready. */
    static SidecarProcess start(Path config, Path podLabels, URI upstream, Path log) throws IOException {
        Path jar = TestCluster.path("sidecar/target/sluice-sidecar.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -DskipTests package -pl api,sidecar");
        }
        int port = freePort();
        int adminPort = freePort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx128m", "-jar", jar.toString(),
                "--config", config.toString(), "--pod-labels", podLabels.toString(), "--upstream", upstream.toString(),
                "--bind", "127.0.0.1", "--port", String.valueOf(port), "--admin-port", String.valueOf(adminPort),
                "--reload-interval", "200ms"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        SidecarProcess sidecar = new SidecarProcess(process, port, adminPort, log);
        try {
            await("sidecar ready on admin port " + adminPort).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("the sidecar exited with " + process.exitValue() + ":\n" + Files.readString(log));
                        }
                        return sidecar.isReady();
                    });
        } catch (RuntimeException e) {
            sidecar.close();
            throw e;
        }
        return sidecar;
    }

    private boolean isReady() {
        try {
            return admin("/readyz").statusCode() == 200;
        } catch (UncheckedIOException notListeningYet) {
            return false;
        }
    }

    HttpResponse<String> get(String path) {
        return send(port, path);
    }

    HttpResponse<String> admin(String path) {
        return send(adminPort, path);
    }

    Path log() {
        return log;
    }

    private static HttpResponse<String> send(int port, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
