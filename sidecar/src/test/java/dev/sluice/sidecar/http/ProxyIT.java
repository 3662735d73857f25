package dev.sluice.sidecar.http;

import static dev.sluice.sidecar.http.TestUpstream.MEBIBYTE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar as a plain reverse proxy: what passes through unchanged, what is added, and the gateway errors. */
class ProxyIT {
    private static final String NO_LIMITS = "policies: []\n";
    private static final long LARGE = 64L * MEBIBYTE;

    @TempDir
    java.nio.file.Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = closer.keep(SidecarFixture.withSystemClock(directory, NO_LIMITS));
    }

    @Test
    void methodPathQueryHeadersAndBodyPassThrough() {
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(fixture.traffic("/echo/a%20b/c?x=1&y=two"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("payload"))
                .header("X-Custom", "value")
                .header("X-Forwarded-For", "198.51.100.1")
                .build());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Upstream")).hasValue("test");
        assertThat(response.body())
                .startsWith("PATCH /echo/a%20b/c?x=1&y=two\n")
                .contains("x-custom: value\n")
                .contains("x-forwarded-for: 198.51.100.1,127.0.0.1\n")
                .contains("x-forwarded-proto: http\n")
                .contains("x-forwarded-port: " + fixture.sidecar.port() + "\n")
                .contains("body-sha256: " + TestUpstream.sha256("payload".getBytes()) + "\n");
    }

    @Test
    void upstreamStatusesPassThrough() {
        assertThat(fixture.get("/missing").statusCode()).isEqualTo(200);
        assertThat(fixture.send(HttpRequest.newBuilder(fixture.traffic("/echo/x")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build())
                .statusCode()).isEqualTo(200);
    }

    @Test
    void largeUploadIsStreamedNotBuffered() throws Exception {
        // The client sends the rest of the body only once the upstream has the first MiB: a proxy that
        // buffered the whole body would never deliver it, and the upload would fail. A raw socket, so
        // that the pause cannot stall the client's own writer.
        try (Socket socket = new Socket("127.0.0.1", fixture.sidecar.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + LARGE + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream body = new TestUpstream.PatternStream(LARGE);
            out.write(body.readNBytes(MEBIBYTE));
            out.flush();
            awaitUpstream(fixture.upstream);
            body.transferTo(out);
            out.flush();

            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

            assertThat(response).startsWith("HTTP/1.1 200");
            assertThat(response).endsWith("\r\n\r\n" + LARGE + " " + digestOf(new TestUpstream.PatternStream(LARGE)));
        }
    }

    @Test
    void largeDownloadIsStreamedNotBuffered() throws Exception {
        HttpResponse<InputStream> response = fixture.client.send(HttpRequest.newBuilder(fixture.traffic("/download?bytes=" + LARGE))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest digest = TestUpstream.digest();
        long total = 0;
        try (InputStream body = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            for (int read; (read = body.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
                total += read;
                if (total >= MEBIBYTE) {
                    // Only now does the upstream send the rest: a buffering proxy would never get here.
                    fixture.upstream.clientHasFirstMegabyte.countDown();
                }
            }
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(total).isEqualTo(LARGE);
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(digestOf(new TestUpstream.PatternStream(LARGE)));
    }

    @Test
    void upstreamRefusingConnectionsGives502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (SidecarFixture down = SidecarFixture.withClock(directory.resolve("down").toFile().mkdirs() ? directory.resolve("down") : directory,
                NO_LIMITS, java.time.Instant.now(), settings -> new dev.sluice.sidecar.SidecarSettings(settings.configFile(),
                        URI.create("http://127.0.0.1:" + closedPort), settings.bindAddress(), 0, 0, null,
                        settings.upstreamTimeout(), settings.reloadInterval(), settings.connectionsPerThread(), settings.shutdownGrace(),
                        settings.configOptional(), settings.drainToken(), settings.logLevel(), null, settings.upgradeIdleTimeout(), settings.caps()))) {
            assertThat(down.get("/").statusCode()).isEqualTo(502);
            assertThat(down.get("/").statusCode()).isEqualTo(502);
        }
    }

    @Test
    void slowUpstreamGives504AfterTheTimeout() throws Exception {
        try (SidecarFixture slow = SidecarFixture.withClock(directory.resolve("slow").toFile().mkdirs() ? directory.resolve("slow") : directory,
                NO_LIMITS, java.time.Instant.now(), settings -> settings.withUpstreamTimeout(Duration.ofMillis(300)))) {
            assertThat(slow.get("/slow?ms=3000").statusCode()).isEqualTo(504);
            assertThat(slow.get("/slow?ms=10").statusCode()).isEqualTo(200);
        }
    }

    private static void awaitUpstream(TestUpstream upstream) throws IOException {
        try {
            if (!upstream.firstMegabyteReceived.await(20, TimeUnit.SECONDS)) {
                throw new IOException("the upstream never received the first MiB: the upload was buffered");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String digestOf(InputStream stream) throws IOException {
        MessageDigest digest = TestUpstream.digest();
        byte[] buffer = new byte[64 * 1024];
        for (int read; (read = stream.read(buffer)) > 0; ) {
            digest.update(buffer, 0, read);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
