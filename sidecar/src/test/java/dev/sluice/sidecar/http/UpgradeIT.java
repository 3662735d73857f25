package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarFixture;
import dev.sluice.sidecar.SidecarSettings;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protocol upgrade (here a WebSocket, the JDK's client against Undertow's server) passes through the
 * sidecar: the app's 101 reaches the client and from then on bytes flow both ways on the one connection,
 * with or without a breaker guarding the app, for longer than the upstream timeout; the idle timeout
 * closes a silent one. The handshake is the one request rate limits count; a concurrency limit counts the
 * handshake too, or the open connection when the policy says {@code countUpgradedConnections}.
 */
class UpgradeIT {
    private static final String GUARDED = """
            breakers:
              - name: app
                target: Inbound
                minimumNumberOfCalls: 1000
                timeout: 5s
                retry: {maxAttempts: 2}
            """;
    /** The same breaker with a per-attempt timeout far shorter than the conversation the tests hold. */
    private static final String GUARDED_SHORT_TIMEOUT = """
            breakers:
              - name: app
                target: Inbound
                minimumNumberOfCalls: 1000
                timeout: 300ms
            """;

    /** Two slots; {@code %s}: the rest of the concurrency settings. */
    private static final String TWO_SLOTS = """
            policies:
              - name: sockets
                rules:
                  - name: all
                    limits: [{requests: 1000000, period: 1s}]
                backpressure:
                  concurrency: {maxConcurrent: 2, %s}
            """;
    /** Two slots, the WebSockets counted while open; {@code %s}: the queue. */
    private static final String TWO_OPEN_SOCKETS = TWO_SLOTS.formatted("%s, countUpgradedConnections: true");

    @TempDir
    Path directory;
    private Undertow app;
    private Sidecar sidecar;
    private final CountDownLatch appSessionsClosed = new CountDownLatch(1);

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        if (app != null) {
            app.stop();
        }
    }

    @Test
    void aWebSocketPassesThroughTheUnguardedPath() throws Exception {
        start("policies: []\n");

        assertEchoes();
    }

    @Test
    void aWebSocketPassesThroughTheGuardedPath() throws Exception {
        start(GUARDED);

        assertEchoes();
    }

    @Test
    void aWebSocketOutlivesTheUpstreamTimeoutOnTheUnguardedPath() throws Exception {
        start("policies: []\n", settings -> settings.withUpstreamTimeout(Duration.ofMillis(300)));

        assertEchoesFor(Duration.ofMillis(1500));
    }

    @Test
    void aWebSocketOutlivesTheBreakersTimeoutOnTheGuardedPath() throws Exception {
        start(GUARDED_SHORT_TIMEOUT, settings -> settings.withUpstreamTimeout(Duration.ofMillis(300)));

        assertEchoesFor(Duration.ofMillis(1500));
    }

    @Test
    void theIdleTimeoutClosesASilentWebSocket() throws Exception {
        start("policies: []\n", settings -> settings.withUpgradeIdleTimeout(Duration.ofMillis(500)));
        Client client = new Client();
        WebSocket socket = client.open();
        socket.sendText("one", true).get(10, TimeUnit.SECONDS);
        assertThat(client.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: one");

        // Nothing is sent from here on: the sidecar closes both connections, and the client learns its connection ended.
        assertThat(client.ended.get(30, TimeUnit.SECONDS)).as("how the client's connection ended").isNotNull();
        assertThat(appSessionsClosed.await(30, TimeUnit.SECONDS)).as("the app's end of the tunnel closed too").isTrue();
    }

    @Test
    void theHandshakeIsTheRequestRateLimitsCount() throws Exception {
        start("""
                policies:
                  - name: sockets
                    rules:
                      - name: handshakes
                        limits: [{requests: 2, period: 1h}]
                """, settings -> settings);

        Client first = new Client();
        WebSocket one = first.open();
        Client second = new Client();
        WebSocket two = second.open();
        // Many frames on an open WebSocket are not requests: neither socket is refused anything.
        for (int i = 0; i < 5; i++) {
            one.sendText("a" + i, true).get(10, TimeUnit.SECONDS);
            assertThat(first.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: a" + i);
            two.sendText("b" + i, true).get(10, TimeUnit.SECONDS);
            assertThat(second.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: b" + i);
        }

        assertThatThrownBy(() -> new Client().open())
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    HttpResponse<?> refused = ((WebSocketHandshakeException) e.getCause()).getResponse();
                    assertThat(refused.statusCode()).isEqualTo(429);
                    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                });
        one.sendText("still open", true).get(10, TimeUnit.SECONDS);
        assertThat(first.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: still open");
    }

    @Test
    void countedOpenWebSocketsFillTheLimitAndTheNextHandshakeIsRefusedUntilOneCloses() throws Exception {
        start(TWO_OPEN_SOCKETS.formatted("queueSize: 0"));
        Client first = new Client();
        WebSocket one = first.open();
        Client second = new Client();
        WebSocket two = second.open();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("upgradedConnections").asInt() == 2);
        assertEcho(first, one, "one");
        assertEcho(second, two, "two");

        assertThatThrownBy(() -> new Client().open())
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    HttpResponse<?> refused = ((WebSocketHandshakeException) e.getCause()).getResponse();
                    assertThat(refused.statusCode()).isEqualTo(503);
                    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                });
        String metrics = admin("/metrics");
        assertThat(SidecarFixture.sample(metrics, "sluice_concurrency_in_flight{policy=\"sockets\"}")).isEqualTo(2);
        assertThat(SidecarFixture.sample(metrics, "sluice_concurrency_upgraded_connections{policy=\"sockets\"}")).isEqualTo(2);
        assertThat(SidecarFixture.sample(metrics, "sluice_shed_requests_total{policy=\"sockets\",priority=\"default\",reason=\"queue_full\"}"))
                .isEqualTo(1);

        // The client closes one: its slot is freed once the tunnel is down, and a new handshake gets it.
        one.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        assertThat(first.ended.get(30, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 1);
        Client third = new Client();
        WebSocket three = third.open();
        assertEcho(third, three, "three");
        assertEcho(second, two, "still two");

        // The app closes one: the same.
        two.sendText("bye", true).get(10, TimeUnit.SECONDS);
        assertThat(second.ended.get(30, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 1);
        WebSocket four = new Client().open();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("upgradedConnections").asInt() == 2);
        assertThat(gate().path("inFlight").asInt()).as("each connection freed its slot once: the two open ones hold two").isEqualTo(2);
        four.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        three.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 0);
        assertThat(gate().path("upgradedConnections").asInt()).isZero();
    }

    @Test
    void aHandshakeQueuedBehindCountedWebSocketsIsAdmittedWhenOneCloses() throws Exception {
        start(TWO_OPEN_SOCKETS.formatted("queueSize: 1, maxWait: 5m"));
        Client first = new Client();
        WebSocket one = first.open();
        new Client().open();

        Client waiting = new Client();
        CompletableFuture<WebSocket> third = waiting.openAsync();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("queued").asInt() == 1);
        assertThat(third).as("waiting for a slot").isNotDone();
        assertThatThrownBy(() -> new Client().open()).as("the queue of one is full")
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(503));

        one.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        WebSocket admitted = third.get(30, TimeUnit.SECONDS);
        assertEcho(waiting, admitted, "admitted");
        assertThat(gate().path("queued").asInt()).isZero();
    }

    @Test
    void aHandshakeQueuedBehindCountedWebSocketsIsRefusedWhenItsWaitIsOver() throws Exception {
        start(TWO_OPEN_SOCKETS.formatted("queueSize: 1, maxWait: 200ms"));
        new Client().open();
        new Client().open();

        assertThatThrownBy(() -> new Client().open())
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    HttpResponse<?> refused = ((WebSocketHandshakeException) e.getCause()).getResponse();
                    assertThat(refused.statusCode()).isEqualTo(503);
                    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                });
        assertThat(SidecarFixture.sample(admin("/metrics"),
                "sluice_shed_requests_total{policy=\"sockets\",priority=\"default\",reason=\"queue_timeout\"}")).isEqualTo(1);
    }

    @Test
    void theIdleTimeoutFreesTheSlotOfACountedWebSocket() throws Exception {
        start(TWO_OPEN_SOCKETS.formatted("queueSize: 0"), settings -> settings.withUpgradeIdleTimeout(Duration.ofMillis(500)));
        Client silent = new Client();
        silent.open();
        new Client().open();

        assertThat(silent.ended.get(30, TimeUnit.SECONDS)).as("how the idle connection ended").isNotNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 0);
        assertThat(new Client().open()).as("a handshake after the idle ones").isNotNull();
    }

    @Test
    void countedWebSocketsStayCountedWhenAReloadChangesTheLimit() throws Exception {
        start(TWO_OPEN_SOCKETS.formatted("queueSize: 0"));
        Client first = new Client();
        WebSocket one = first.open();
        new Client().open();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("upgradedConnections").asInt() == 2);

        reload("generation: 2\n" + TWO_OPEN_SOCKETS.formatted("queueSize: 0").replace("maxConcurrent: 2", "maxConcurrent: 3"), 2);
        assertThat(gate().path("limit").asInt()).isEqualTo(3);
        assertThat(gate().path("upgradedConnections").asInt()).as("the new gate counts the sockets the old one admitted").isEqualTo(2);
        new Client().open();
        assertThatThrownBy(() -> new Client().open())
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(503));

        one.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 2);
        Client fourth = new Client();
        assertEcho(fourth, fourth.open(), "four");
    }

    @Test
    void withoutTheOptionAnOpenWebSocketHoldsNoSlot() throws Exception {
        start(TWO_SLOTS.formatted("queueSize: 0"));
        Client first = new Client();
        WebSocket one = first.open();
        Client second = new Client();
        WebSocket two = second.open();
        // Each handshake's slot is freed as its 101 goes out; waiting for that keeps the third from racing it.
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 0);

        Client third = new Client();
        WebSocket three = third.open();
        assertEcho(first, one, "one");
        assertEcho(second, two, "two");
        assertEcho(third, three, "three");
        await().atMost(Duration.ofSeconds(30)).until(() -> gate().path("inFlight").asInt() == 0);
        assertThat(gate().path("upgradedConnections").asInt()).isZero();
    }

    private static void assertEcho(Client client, WebSocket socket, String text) throws Exception {
        socket.sendText(text, true).get(10, TimeUnit.SECONDS);
        assertThat(client.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: " + text);
    }

    /** Replaces the sidecar's file as a ConfigMap volume does (a new file renamed over it), and waits until {@code generation} is in force. */
    private void reload(String config, long generation) throws Exception {
        Path next = directory.resolve("sidecar.yaml.next");
        Files.writeString(next, config);
        Files.move(next, directory.resolve("sidecar.yaml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(Duration.ofSeconds(30)).until(() -> ConfigLoader.json().readTree(admin("/config")).path("generation").asLong() == generation);
    }

    /** The one policy's concurrency gate, as the admin port's {@code /state} shows it. */
    private JsonNode gate() throws Exception {
        return ConfigLoader.json().readTree(admin("/state")).path("backpressure").get(0);
    }

    private String admin(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Echoes spread over {@code span}, each answered on the one connection opened at the start. */
    private void assertEchoesFor(Duration span) throws Exception {
        Client client = new Client();
        WebSocket socket = client.open();
        int messages = 6;
        for (int i = 0; i < messages; i++) {
            socket.sendText("message " + i, true).get(10, TimeUnit.SECONDS);
            assertThat(client.received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: message " + i);
            Thread.sleep(span.toMillis() / messages);
        }
        assertThat(client.ended).as("the connection, after longer than the upstream timeout").isNotDone();
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    private void assertEchoes() throws Exception {
        Client client = new Client();
        BlockingQueue<String> received = client.received;
        WebSocket socket = client.open();

        socket.sendText("one", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: one");
        socket.sendText("two", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: two");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    /** A WebSocket client of the sidecar's {@code /ws}: what it received, and how its connection ended. */
    private final class Client {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        /** A close code from the app, or the error the connection ended with. */
        final CompletableFuture<Object> ended = new CompletableFuture<>();

        WebSocket open() throws Exception {
            return openAsync().get(10, TimeUnit.SECONDS);
        }

        CompletableFuture<WebSocket> openAsync() {
            return HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + sidecar.port() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            received.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                            ended.complete(statusCode);
                            return null;
                        }

                        @Override
                        public void onError(WebSocket webSocket, Throwable error) {
                            ended.complete(error);
                        }
                    });
        }
    }

    private void start(String config) throws Exception {
        start(config, settings -> settings);
    }

    /** An app that echoes WebSocket text messages on {@code /ws}, and a sidecar in front of it. */
    private void start(String config, UnaryOperator<SidecarSettings> tuned) throws Exception {
        app = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(Handlers.path().addPrefixPath("/ws",
                Handlers.websocket((exchange, channel) -> {
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullTextMessage(WebSocketChannel from, BufferedTextMessage message) {
                            String text = message.getData();
                            if (text.equals("bye")) {
                                WebSockets.sendClose(new CloseMessage(CloseMessage.NORMAL_CLOSURE, "bye"), from, null);
                            } else {
                                WebSockets.sendText("echo: " + text, from, null);
                            }
                        }
                    });
                    channel.addCloseTask(closed -> appSessionsClosed.countDown());
                    channel.resumeReceives();
                }))).build();
        app.start();
        URI upstream = URI.create("http://127.0.0.1:" + ((InetSocketAddress) app.getListenerInfo().get(0).getAddress()).getPort());
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, config);
        sidecar = new Sidecar(tuned.apply(SidecarSettings.loopback(file, upstream))).start();
    }
}
