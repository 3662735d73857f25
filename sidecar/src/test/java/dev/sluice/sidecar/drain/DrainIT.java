package dev.sluice.sidecar.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.H2Frames;
import dev.sluice.sidecar.SidecarFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Draining on real sockets: the app's preStop hook calls {@code /drain}, or the sidecar is stopped;
 * readiness fails, requests are still served, and a keep-alive client (HTTP/1.1 or HTTP/2) is told to
 * reconnect elsewhere.
 */
class DrainIT {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static final String LIMITED = """
            policies:
              - name: api
                rules: [{name: all, limits: [{requests: 1000, period: 1h}]}]
            """;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void aCallWithoutTheTokenOrWithABadWindowChangesNothing() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));

        assertThat(drain(fixture, "/drain", null).statusCode()).isEqualTo(403);
        HttpResponse<String> wrongToken = drain(fixture, "/drain", TOKEN.toUpperCase());
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        assertThat(wrongToken.body()).contains("X-Sluice-Drain-Token").doesNotContain(TOKEN);
        HttpResponse<String> tooLong = drain(fixture, "/drain?seconds=301", TOKEN);
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).isEqualTo("seconds must be a whole number from 0 to 300, got '301'\n");
        assertThat(drain(fixture, "/drain?seconds=-1", TOKEN).statusCode()).isEqualTo(400);
        assertThat(drain(fixture, "/drain?seconds=soon", TOKEN).body()).contains("got 'soon'");

        assertThat(fixture.admin("/readyz").statusCode()).isEqualTo(200);
        assertThat(fixture.metric("sluice_draining")).isZero();
        assertThat(fixture.get("/").headers().firstValue("Connection")).hasValue("keep-alive");
    }

    @Test
    void withoutATokenDrainIsOff() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now()));

        HttpResponse<String> off = drain(fixture, "/drain", TOKEN);

        assertThat(off.statusCode()).isEqualTo(404);
        assertThat(off.body()).contains("SLUICE_DRAIN_TOKEN");
        assertThat(fixture.admin("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void aKeepAliveClientIsToldToReconnectWhileItsRequestsAreStillServed() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));
        KeepAliveConnection connection = closer.keep(new KeepAliveConnection(fixture.sidecar.port()));
        KeepAliveConnection.Response before = connection.get("/");
        assertThat(before.status()).isEqualTo(200);
        assertThat(before.closesConnection()).isFalse();

        HttpResponse<String> drained = drain(fixture, "/drain?seconds=0", TOKEN);

        assertThat(drained.statusCode()).isEqualTo(200);
        HttpResponse<String> ready = fixture.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"reason\" : \"draining\"");
        assertThat(fixture.metric("sluice_draining")).isEqualTo(1);
        KeepAliveConnection.Response during = connection.get("/");
        assertThat(during.status()).as("still served, and still limited").isEqualTo(200);
        assertThat(during.headers()).containsKey("ratelimit");
        assertThat(during.closesConnection()).isTrue();
        assertThat(connection.closedByServer()).isTrue();
        try (KeepAliveConnection another = new KeepAliveConnection(fixture.sidecar.port())) {
            assertThat(another.get("/").closesConnection()).as("a new connection, too").isTrue();
            assertThat(another.closedByServer()).isTrue();
        }
        assertThat(fixture.admin("/healthz").statusCode()).as("alive all along").isEqualTo(200);
    }

    @Test
    void aResponseAlreadyInFlightWhenDrainingStartsClosesItsConnectionToo() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));
        KeepAliveConnection connection = closer.keep(new KeepAliveConnection(fixture.sidecar.port()));
        connection.send("/hold");
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.upstream.held.get() == 1);

        assertThat(drain(fixture, "/drain?seconds=0", TOKEN).statusCode()).isEqualTo(200);
        fixture.upstream.releaseHeld();

        KeepAliveConnection.Response held = connection.read();
        assertThat(held.status()).isEqualTo(200);
        assertThat(held.body()).isEqualTo("released\n");
        assertThat(held.closesConnection()).isTrue();
        assertThat(connection.closedByServer()).isTrue();
    }

    @Test
    void anHttp2ClientGetsItsResponseThenAGoAway() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));
        H2Connection connection = closer.keep(new H2Connection(fixture.sidecar.port()));
        int first = connection.get("/");
        assertThat(connection.readUntil(frame -> frame.stream() == first && frame.endsStream()))
                .anyMatch(frame -> frame.type() == H2Frames.HEADERS && frame.stream() == first);
        connection.ping();
        assertThat(connection.readUntil(frame -> frame.type() == H2Frames.PING))
                .as("no GOAWAY before draining").noneMatch(frame -> frame.type() == H2Frames.GOAWAY);

        assertThat(drain(fixture, "/drain?seconds=0", TOKEN).statusCode()).isEqualTo(200);
        int during = connection.get("/");

        List<H2Frames.Frame> frames = connection.readUntil(frame -> frame.type() == H2Frames.GOAWAY);
        assertThat(frames).as("the response in full, before the GOAWAY")
                .anyMatch(frame -> frame.type() == H2Frames.HEADERS && frame.stream() == during)
                .anyMatch(frame -> frame.stream() == during && frame.endsStream());
        H2Frames.Frame goAway = frames.get(frames.size() - 1);
        assertThat(goAway.errorCode()).as("NO_ERROR").isZero();
        assertThat(goAway.lastStream()).as("the last stream it took").isEqualTo(during);
    }

    @Test
    void theFirstCallAnswersWhenItsWindowEndsALaterOneAtOnce() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));

        CompletableFuture<HttpResponse<String>> first = fixture.client.sendAsync(drainRequest(fixture, "/drain?seconds=300", TOKEN),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.admin("/readyz").statusCode() == 503);
        HttpResponse<String> second = drain(fixture, "/drain?seconds=300", TOKEN);

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).startsWith("draining since ").endsWith(" already\n");
        assertThat(first).as("the first call, within its 300 s").isNotDone();
        assertThat(fixture.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void aWindowOfSomeSecondsIsAnsweredWhenItEnds() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(), s -> s.withDrainToken(TOKEN)));

        CompletableFuture<HttpResponse<String>> call = fixture.client.sendAsync(drainRequest(fixture, "/drain?seconds=1", TOKEN),
                HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> answered = call.get(30, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(200);
        assertThat(answered.body()).startsWith("drained for 1s since ");
        // The default window, on a second call: answered at once all the same.
        assertThat(drain(fixture, "/drain", TOKEN).body()).endsWith(" already\n");
    }

    @Test
    void stoppingDrainsFirstThenFinishesTheRequestsInFlight() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, LIMITED, Instant.now(),
                s -> s.withShutdownGrace(Duration.ofMinutes(1))));
        KeepAliveConnection connection = closer.keep(new KeepAliveConnection(fixture.sidecar.port()));
        connection.send("/hold");
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.upstream.held.get() == 1);

        // What SIGTERM runs: it waits for the held request.
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(fixture.sidecar::close);
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.sidecar.draining());
        HttpResponse<String> ready = fixture.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"reason\" : \"draining\"");
        assertThat(stopping).isNotDone();
        fixture.upstream.releaseHeld();

        KeepAliveConnection.Response held = connection.read();
        assertThat(held.status()).isEqualTo(200);
        assertThat(held.closesConnection()).isTrue();
        assertThat(connection.closedByServer()).isTrue();
        stopping.get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> drain(SidecarFixture fixture, String pathAndQuery, String token) {
        return fixture.send(drainRequest(fixture, pathAndQuery, token));
    }

    private static HttpRequest drainRequest(SidecarFixture fixture, String pathAndQuery, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.sidecar.adminPort() + pathAndQuery));
        if (token != null) {
            request.header(DrainToken.HEADER, token);
        }
        return request.build();
    }
}
