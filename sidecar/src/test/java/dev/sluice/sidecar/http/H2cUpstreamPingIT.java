package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import static dev.sluice.sidecar.H2Frames.ACK;
import static dev.sluice.sidecar.H2Frames.END_HEADERS;
import static dev.sluice.sidecar.H2Frames.END_STREAM;
import static dev.sluice.sidecar.H2Frames.HEADERS;
import static dev.sluice.sidecar.H2Frames.PING;
import static dev.sluice.sidecar.H2Frames.PREFACE;
import static dev.sluice.sidecar.H2Frames.SETTINGS;
import static dev.sluice.sidecar.H2Frames.read;
import static dev.sluice.sidecar.H2Frames.write;

import dev.sluice.sidecar.H2Frames.Frame;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the sidecar sends an h2c app that pings it, read frame by frame from a raw HTTP/2 server: an ACK per PING, and no
 * PING of its own. Undertow's client used to send each PING back as a new one besides its ACK, which grpc-go's server
 * counts against its keep-alive policy: at the third it closed the connection (GOAWAY ENHANCE_YOUR_CALM,
 * "too_many_pings"), failing every call on it (seen with requests of 40 KB, four calls at a time; see H2cConnector).
 */
class H2cUpstreamPingIT {
    @TempDir
    Path directory;
    private final ExecutorService appThread = Executors.newSingleThreadExecutor();
    private ServerSocket app;
    private Sidecar sidecar;

    @AfterEach
    void stop() throws IOException {
        if (sidecar != null) {
            sidecar.close();
        }
        if (app != null) {
            app.close();
        }
        appThread.shutdownNow();
    }

    @Test
    void aPingFromTheAppIsAcknowledgedAndNotSentBack() throws Exception {
        app = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Path config = directory.resolve("sidecar.yaml");
        Files.writeString(config, "policies: []\n");
        sidecar = new Sidecar(SidecarSettings.loopback(config, URI.create("h2c://127.0.0.1:" + app.getLocalPort()))).start();
        Future<List<Frame>> seen = appThread.submit(this::serveOneRequestWithTwoPings);

        CompletableFuture<HttpResponse<String>> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.port() + "/pinged")).build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(response.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        List<Frame> frames = seen.get(60, TimeUnit.SECONDS);
        List<Frame> pings = frames.stream().filter(frame -> frame.type() == PING).toList();
        assertThat(pings).as("PING frames from the sidecar until it acknowledged the second, of %s", frames).hasSize(2)
                .allSatisfy(ping -> assertThat(ping.flags() & ACK).as("an ACK").isEqualTo(ACK));
        assertThat(pings.get(0).payload()).isEqualTo(payload(1));
        assertThat(pings.get(1).payload()).isEqualTo(payload(2));
    }

    /**
     * Takes the sidecar's connection, pings it once the request's HEADERS arrive, answers the request, pings again, and
     * returns every frame the sidecar sent until it acknowledged the second PING. Whatever it sends in answer to the first
     * comes before that ACK: one connection's frames arrive in order.
     */
    private List<Frame> serveOneRequestWithTwoPings() throws IOException {
        try (Socket socket = app.accept()) {
            socket.setSoTimeout(60_000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            assertThat(in.readNBytes(PREFACE.length)).as("the client connection preface").isEqualTo(PREFACE);
            write(out, SETTINGS, 0, 0, new byte[0]);
            List<Frame> frames = new ArrayList<>();
            int stream = -1;
            boolean answered = false;
            while (true) {
                Frame frame = read(in);
                frames.add(frame);
                if (frame.type() == SETTINGS && (frame.flags() & ACK) == 0) {
                    write(out, SETTINGS, ACK, 0, new byte[0]);
                } else if (frame.type() == HEADERS && stream < 0) {
                    stream = frame.stream();
                    write(out, PING, 0, 0, payload(1));
                } else if (frame.is(PING, ACK) && Arrays.equals(frame.payload(), payload(1)) && !answered) {
                    answered = true;
                    // :status 200 (HPACK static table 8), no body.
                    write(out, HEADERS, END_STREAM | END_HEADERS, stream, new byte[] {(byte) 0x88});
                    write(out, PING, 0, 0, payload(2));
                } else if (frame.is(PING, ACK) && Arrays.equals(frame.payload(), payload(2))) {
                    return frames;
                }
            }
        }
    }

    private static byte[] payload(int n) {
        return ("ping-" + n + "..").getBytes(StandardCharsets.US_ASCII);
    }
}
