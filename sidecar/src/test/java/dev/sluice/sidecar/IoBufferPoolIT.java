package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sidecar.limit.LimiterClock;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar with far fewer direct buffers than its requests need, with real sockets: past the budget its I/O runs on
 * heap buffers, and every request of many at once, over HTTP/2 to an h2c app and over HTTP/1.1, is answered whole. (Undertow's
 * own pool, with {@code -XX:MaxDirectMemorySize} full, threw in the middle of an HTTP/2 frame and left the stream hanging.)
 */
class IoBufferPoolIT {
    /** Half over HTTP/2, half over HTTP/1.1. */
    private static final int STREAMS = 32;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void manyStreamsAndRequestsAtOncePastTheDirectBudgetAreAllAnsweredWhole() throws Exception {
        Undertow app = Undertow.builder().addHttpListener(0, "127.0.0.1").setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setHandler(exchange -> exchange.getRequestReceiver().receiveFullString((ex, body) ->
                        ex.getResponseSender().send(ex.getProtocol() + " " + body), StandardCharsets.UTF_8))
                .build();
        app.start();
        closer.keep(app::stop);
        int appPort = ((InetSocketAddress) app.getListenerInfo().get(0).getAddress()).getPort();
        Path config = directory.resolve("sidecar.yaml");
        Files.writeString(config, "policies: []\n");
        // 4 direct buffers of 16 KiB: a 40 KiB body alone spans three.
        IoBufferPool buffers = new IoBufferPool(IoBufferPool.SIZE, 4);
        Sidecar sidecar = closer.keep(new Sidecar(SidecarSettings.loopback(config, URI.create("h2c://127.0.0.1:" + appPort)),
                LimiterClock.SYSTEM, null).withIoBuffers(buffers).start());
        URI echo = URI.create("http://127.0.0.1:" + sidecar.port() + "/echo");
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // The first request moves the JDK client's connection to HTTP/2 (Upgrade: h2c); the next ones are its streams.
        assertThat(http2.send(HttpRequest.newBuilder(echo).build(), HttpResponse.BodyHandlers.ofString()).version())
                .isEqualTo(HttpClient.Version.HTTP_2);

        List<String> bodies = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            String body = ("request " + i + " ").repeat(4000);
            bodies.add(body);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            // Over HTTP/2 without a length, the way gRPC sends; over HTTP/1.1 with one.
            answers.add(i % 2 == 0
                    ? http2.sendAsync(HttpRequest.newBuilder(echo).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                            .build(), HttpResponse.BodyHandlers.ofString())
                    : http1.sendAsync(HttpRequest.newBuilder(echo).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                            HttpResponse.BodyHandlers.ofString()));
        }

        for (int i = 0; i < STREAMS; i++) {
            HttpResponse<String> response = answers.get(i).get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(response.version()).as("request %d", i).isEqualTo(i % 2 == 0 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
            assertThat(response.body()).as("request %d", i).isEqualTo("HTTP/2.0 " + bodies.get(i));
        }
        assertThat(buffers.spilled()).as("heap buffers handed out past the budget").isPositive();
        assertThat(buffers.directMade()).isEqualTo(4);
        HttpResponse<String> metrics = http1.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        // Read while the admin request itself may take more: at most what the pool counts after it.
        assertThat(SidecarFixture.sample(metrics.body(), "sluice_io_buffers_spilled_total")).isPositive()
                .isLessThanOrEqualTo(buffers.spilled());
        assertThat(SidecarFixture.sample(metrics.body(), "sluice_io_buffers_direct_max")).isEqualTo(4);
        // Every direct buffer comes back once the connections are idle: none is lost to a request that ended.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(buffers.directInUse()).isZero());
    }
}
