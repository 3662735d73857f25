package dev.sluice.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Outbound routes: the app calls a loopback port per route, the sidecar applies the route's limits, breaker and retries on the way out. */
class OutboundRouteIT {
    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    private static String route(String name, String upstream, int localPort) {
        return """
                  - name: %1$s
                    target: Outbound
                    route:
                      name: %1$s
                      upstream: %2$s
                      localPort: %3$d
                      rules:
                        - name: calls
                          limits: [{requests: 3, period: 1m}]
                    failureRateThreshold: 50
                    minimumNumberOfCalls: 2
                    slidingWindow: {type: Count, size: 2}
                    waitDurationInOpenState: 1m
                    retry: {maxAttempts: 2, backoffBase: 1ms, backoffMax: 2ms, minRetriesPerSecond: 10, methods: [GET]}
                """.formatted(name, upstream, localPort);
    }

    @Test
    void forwardsToTheApiWithItsHostAndEnforcesTheRouteLimits() throws Exception {
        int port = freePort();
        fixture = closer.keep(SidecarFixture.withClock(directory, "breakers:\n", Instant.parse("2026-01-01T00:00:00Z")));
        String upstream = fixture.upstream.uri() + "/echo";
        fixture.reload("generation: 2\nbreakers:\n" + route("payments", upstream, port), 2);
        awaitListening("payments");

        HttpResponse<String> response = call(port, "/pay?x=1");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("GET /echo/pay?x=1\n")
                .contains("host: " + fixture.upstream.uri().getAuthority())
                .doesNotContain("x-forwarded-for");
        assertThat(call(port, "/pay").statusCode()).isEqualTo(200);
        assertThat(call(port, "/pay").statusCode()).isEqualTo(200);
        HttpResponse<String> limited = call(port, "/pay");
        assertThat(limited.statusCode()).as("the route's own rate limit").isEqualTo(429);
        assertThat(limited.body()).contains("\"rule\":\"calls\"");
        assertThat(fixture.get("/echo/in").statusCode()).as("inbound traffic is not limited by the route").isEqualTo(200);

        JsonNode route = fixture.adminJson("/state").path("routes").get(0);
        assertThat(route.path("name").asText()).isEqualTo("payments");
        assertThat(route.path("listening").asBoolean()).isTrue();
    }

    @Test
    void theRouteBreakerOpensOnItsOwnAndTheInboundSideIsUntouched() throws Exception {
        int port = freePort();
        fixture = closer.keep(SidecarFixture.withClock(directory, "breakers:\n", Instant.parse("2026-01-01T00:00:00Z")));
        fixture.reload("generation: 2\nbreakers:\n" + route("flaky-api", fixture.upstream.uri().toString(), port), 2);
        awaitListening("flaky-api");
        fixture.upstream.flakyStatus.set(500);

        assertThat(call(port, "/flaky").statusCode()).isEqualTo(500);
        assertThat(call(port, "/flaky").statusCode()).isEqualTo(500);
        HttpResponse<String> open = call(port, "/flaky");
        assertThat(open.statusCode()).isEqualTo(503);
        assertThat(open.body()).contains("\"error\":\"circuit_open\"").contains("\"target\":\"flaky-api\"");
        assertThat(fixture.get("/flaky").statusCode()).as("no inbound breaker: the app's own 500").isEqualTo(500);
        assertThat(fixture.metric("sluice_circuit_breaker_state{breaker=\"flaky-api\",state=\"open\",target=\"flaky-api\"}")).isEqualTo(1);
    }

    @Test
    void aConnectionFailureIsRetriedEvenForAPostAndEndsIn502() throws Exception {
        int port = freePort();
        int dead = freePort();
        fixture = closer.keep(SidecarFixture.withClock(directory, "breakers:\n", Instant.parse("2026-01-01T00:00:00Z")));
        fixture.reload("generation: 2\nbreakers:\n" + route("dead", "http://127.0.0.1:" + dead, port), 2);
        awaitListening("dead");

        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/charge"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(fixture.metric("retry_attempts_total{success=\"false\",target=\"dead\"}"))
                .as("nothing was sent, so even a POST may go again").isEqualTo(1);
    }

    @Test
    void aRemovedRouteStopsListening() throws Exception {
        int port = freePort();
        fixture = closer.keep(SidecarFixture.withClock(directory, "breakers:\n", Instant.parse("2026-01-01T00:00:00Z")));
        fixture.reload("generation: 2\nbreakers:\n" + route("gone", fixture.upstream.uri().toString(), port), 2);
        awaitListening("gone");
        assertThat(call(port, "/").statusCode()).isEqualTo(200);

        fixture.reload("generation: 3\nbreakers: []\n", 3);

        assertThat(fixture.adminJson("/state").path("routes")).isEmpty();
        try (ServerSocket socket = new ServerSocket(port)) {
            assertThat(socket.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
    }

    /** The configuration's generation is reported as soon as it is in force; its route listeners start right after. */
    private void awaitListening(String route) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode routes = fixture.adminJson("/state").path("routes");
            for (JsonNode entry : routes) {
                if (route.equals(entry.path("name").asText()) && entry.path("listening").asBoolean()) {
                    return true;
                }
            }
            return false;
        });
    }

    private HttpResponse<String> call(int port, String path) {
        return fixture.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build());
    }

    /**
     * A port free now, below the ephemeral range (Linux: 32768 and up), where the sidecar binds it a
     * moment later: a port the kernel handed out for this would be from the range every outgoing
     * connection of the machine takes its local port from, and with load running beside the tests one
     * of them took it in between ("Address already in use").
     */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException inUse) {
                // another one
            }
        }
        throw new IOException("no free port between 20000 and 32000 in 100 attempts");
    }
}
