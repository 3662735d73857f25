package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * closes a silent one. The handshake is the one request rate limits count.
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
                    }).get(10, TimeUnit.SECONDS);
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
                            WebSockets.sendText("echo: " + message.getData(), from, null);
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
