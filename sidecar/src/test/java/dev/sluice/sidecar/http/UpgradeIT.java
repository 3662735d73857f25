package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protocol upgrade (here a WebSocket) passes through the sidecar: the app's 101 reaches the client
 * and from then on bytes flow both ways on the one connection, with or without a breaker guarding the app.
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

    @TempDir
    Path directory;
    private Undertow app;
    private Sidecar sidecar;

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

    private void assertEchoes() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + sidecar.port() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        received.add(data.toString());
                        webSocket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);

        socket.sendText("one", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: one");
        socket.sendText("two", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo: two");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    /** An app that echoes WebSocket text messages on {@code /ws}, and a sidecar in front of it. */
    private void start(String config) throws Exception {
        app = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(Handlers.path().addPrefixPath("/ws",
                Handlers.websocket((exchange, channel) -> {
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullTextMessage(WebSocketChannel from, BufferedTextMessage message) {
                            WebSockets.sendText("echo: " + message.getData(), from, null);
                        }
                    });
                    channel.resumeReceives();
                }))).build();
        app.start();
        URI upstream = URI.create("http://127.0.0.1:" + ((InetSocketAddress) app.getListenerInfo().get(0).getAddress()).getPort());
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, config);
        sidecar = new Sidecar(SidecarSettings.loopback(file, upstream)).start();
    }
}
