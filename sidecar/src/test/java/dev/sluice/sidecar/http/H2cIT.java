package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 in cleartext through the sidecar: from clients by prior knowledge (curl), to an app over HTTP/1.1
 * or, with an {@code h2c://} upstream, over HTTP/2; by {@code Upgrade: h2c} (the JDK's client) only to an
 * h2c app, as an HTTP/1.1 app answers such an offer in HTTP/1.1; the streams of one connection are each a
 * request for the rate limits and the concurrency limit.
 */
class H2cIT {
    private static final HttpString PROTOCOL_SEEN = new HttpString("X-Protocol-Seen");

    @TempDir
    Path directory;
    private Undertow app;
    private Sidecar sidecar;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    private final AtomicInteger requests = new AtomicInteger();
    /** The sidecar's end of each connection requests reached the app on, one entry per request. */
    private final List<String> peers = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch holding = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (sidecar != null) {
            sidecar.close();
        }
        if (app != null) {
            app.stop();
        }
    }

    @Test
    void anUpgradeOfferToAnHttp1AppIsAnsweredInHttp11AsTheAppWould() throws Exception {
        start("policies: []\n", "http");

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> next = client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.version()).as("the JDK's client offered Upgrade: h2c").isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.body()).isEqualTo("HTTP/1.1 GET /echo ");
        assertThat(next.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void aClientWithPriorKnowledgeReachesAnHttp1AppOverHttp2() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        start("policies: []\n", "http");

        assertThat(curlWithPriorKnowledge("/echo")).isEqualTo("HTTP/1.1 GET /echo \n2 200");
    }

    @Test
    void anH2cUpstreamIsCalledOverHttp2AndBodiesWithoutALengthArrive() throws Exception {
        start("policies: []\n", "h2c");
        byte[] body = "a body of unknown length".repeat(1000).getBytes(StandardCharsets.UTF_8);
        // The JDK's client upgrades its first request to HTTP/2 (Upgrade: h2c), a bodiless one.
        assertThat(client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()).version())
                .isEqualTo(HttpClient.Version.HTTP_2);

        // Sent without Content-Length: over HTTP/2 a body ends with its stream.
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(traffic("/echo"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.headers().firstValue(PROTOCOL_SEEN.toString())).hasValue("HTTP/2.0");
        assertThat(response.body()).isEqualTo("HTTP/2.0 POST /echo " + new String(body, StandardCharsets.UTF_8));
        // And an HTTP/1.1 client of the sidecar reaches the h2c app too.
        HttpResponse<String> fromHttp1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(fromHttp1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(fromHttp1.body()).isEqualTo("HTTP/2.0 GET /echo ");
    }

    @Test
    void requestsToAnH2cAppAreStreamsOfOneSharedConnection() throws Exception {
        start("policies: []\n", "h2c");
        assertThat(client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            streams.add(client.sendAsync(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> stream : streams) {
            assertThat(stream.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }

        // The client's one connection is served by one I/O thread of the sidecar, whose one connection to the app
        // carries every request once the first has opened it: none is closed after its response.
        assertThat(peers).hasSize(11);
        assertThat(peers.stream().distinct().count()).as("connections from the sidecar to the app: %s", peers).isEqualTo(1);
    }

    @Test
    void eachStreamOfOneConnectionIsARequestForTheRateLimits() throws Exception {
        start("""
                policies:
                  - name: api
                    rules:
                      - name: all
                        limits: [{requests: 3, period: 1h}]
                """, "h2c");
        // The first request upgrades the connection; the next ones are streams of it, sent at once.
        assertThat(client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            streams.add(client.sendAsync(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()));
        }

        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> stream : streams) {
            HttpResponse<String> response = stream.get(30, TimeUnit.SECONDS);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            statuses.add(response.statusCode());
        }
        assertThat(statuses.stream().sorted().map(String::valueOf).collect(Collectors.joining(" "))).isEqualTo("200 200 429 429 429");
        assertThat(requests.get()).as("requests that reached the app").isEqualTo(3);
    }

    @Test
    void aStreamHoldingTheOnlySlotShedsTheNextStreamOfTheConnection() throws Exception {
        start("""
                policies:
                  - name: api
                    rules:
                      - name: all
                        limits: [{requests: 1000000, period: 1s}]
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 0}
                """, "h2c");
        assertThat(client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        CompletableFuture<HttpResponse<String>> held = client.sendAsync(HttpRequest.newBuilder(traffic("/hold")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("the held request reached the app").isTrue();

        HttpResponse<String> shed = client.send(HttpRequest.newBuilder(traffic("/echo")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(shed.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(shed.statusCode()).isEqualTo(503);
        assertThat(shed.body()).contains("\"error\":\"overloaded\"");
        release.countDown();
        assertThat(held.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void curlWithPriorKnowledgeGetsHttp2() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        start("policies: []\n", "h2c");

        assertThat(curlWithPriorKnowledge("/echo")).isEqualTo("HTTP/2.0 GET /echo \n2 200");
    }

    /** What the app answered curl's request over HTTP/2 with prior knowledge, then the HTTP version and status curl saw. */
    private String curlWithPriorKnowledge(String path) throws Exception {
        Process curl = new ProcessBuilder("/usr/bin/curl", "--silent", "--show-error", "--http2-prior-knowledge",
                "--write-out", "\n%{http_version} %{response_code}", traffic(path).toString()).redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    private URI traffic(String path) {
        return URI.create("http://127.0.0.1:" + sidecar.port() + path);
    }

    /**
     * An app that speaks HTTP/1.1 and h2c: {@code /echo} answers the protocol it was called with, the method, the path
     * and the body; {@code /hold} answers once the test releases it. A sidecar in front of it, called over {@code scheme}.
     */
    private void start(String config, String scheme) throws Exception {
        app = Undertow.builder().addHttpListener(0, "127.0.0.1").setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setHandler(exchange -> exchange.getRequestReceiver().receiveFullString((ex, body) -> {
                    requests.incrementAndGet();
                    peers.add(String.valueOf(ex.getSourceAddress()));
                    ex.getResponseHeaders().put(PROTOCOL_SEEN, ex.getProtocol().toString());
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                    if (ex.getRequestPath().equals("/hold")) {
                        ex.dispatch(() -> {
                            holding.countDown();
                            try {
                                release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            ex.getResponseSender().send("held");
                        });
                        return;
                    }
                    ex.getResponseSender().send(ex.getProtocol() + " " + ex.getRequestMethod() + " " + ex.getRequestPath() + " " + body);
                }, StandardCharsets.UTF_8))
                .build();
        app.start();
        int port = ((InetSocketAddress) app.getListenerInfo().get(0).getAddress()).getPort();
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, config);
        sidecar = new Sidecar(SidecarSettings.loopback(file, URI.create(scheme + "://127.0.0.1:" + port))).start();
    }
}
