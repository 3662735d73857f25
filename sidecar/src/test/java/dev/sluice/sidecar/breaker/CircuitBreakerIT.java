package dev.sluice.sidecar.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An inbound breaker in a real sidecar in front of a real upstream that fails on command; the breaker's clock is manual. */
class CircuitBreakerIT {
    private static final String CONFIG = """
            breakers:
              - name: app
                namespace: shop
                target: Inbound
                failureRateThreshold: 50
                minimumNumberOfCalls: 4
                slidingWindow: {type: Count, size: 4}
                waitDurationInOpenState: 30s
                permittedCallsInHalfOpen: 2
                timeout: 300ms
            """;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @Test
    void opensAtTheThresholdFailsFastHalfOpensAndCloses() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, CONFIG, Instant.parse("2026-01-01T00:00:00Z")));
        fixture.upstream.flakyStatus.set(500);

        assertThat(fixture.statuses(4, "/flaky")).isEqualTo("500 500 500 500");
        assertThat(state().path("state").asText()).isEqualTo("open");

        HttpResponse<String> refused = fixture.get("/flaky");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = ConfigLoader.json().readTree(refused.body());
        assertThat(body.path("error").asText()).isEqualTo("circuit_open");
        assertThat(body.path("breaker").asText()).isEqualTo("shop/app");
        assertThat(body.path("retryAfterSeconds").asLong()).isEqualTo(30);
        assertThat(fixture.upstream.flakyRequests.get()).as("an open circuit does not call the upstream").isEqualTo(4);

        fixture.clock.advance(Duration.ofSeconds(12));
        assertThat(fixture.get("/flaky").headers().firstValue("Retry-After")).hasValue("18");

        fixture.upstream.flakyStatus.set(200);
        fixture.clock.advance(Duration.ofSeconds(18).plusMillis(1));
        assertThat(fixture.get("/flaky").statusCode()).as("the first trial call").isEqualTo(200);
        assertThat(state().path("state").asText()).isEqualTo("half_open");
        assertThat(fixture.get("/flaky").statusCode()).isEqualTo(200);
        assertThat(state().path("state").asText()).isEqualTo("closed");
        assertThat(fixture.upstream.flakyRequests.get()).isEqualTo(6);

        assertThat(fixture.metric(transitions("closed", "open"))).isEqualTo(1);
        assertThat(fixture.metric(transitions("open", "half_open"))).isEqualTo(1);
        assertThat(fixture.metric(transitions("half_open", "closed"))).isEqualTo(1);
        assertThat(fixture.metric("sluice_circuit_breaker_state{breaker=\"shop/app\",state=\"closed\",target=\"inbound\"}")).isEqualTo(1);
        assertThat(fixture.metric("sluice_circuit_breaker_state{breaker=\"shop/app\",state=\"open\",target=\"inbound\"}")).isEqualTo(0);
    }

    private static String transitions(String from, String to) {
        return "sluice_circuit_breaker_transitions_total{breaker=\"shop/app\",from=\"" + from + "\",target=\"inbound\",to=\"" + to + "\"}";
    }

    @Test
    void aTimeoutAnswers504AndCountsAsAFailure() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, CONFIG, Instant.parse("2026-01-01T00:00:00Z")));

        assertThat(fixture.get("/slow?ms=3000").statusCode()).isEqualTo(504);
        assertThat(fixture.get("/echo/fast").statusCode()).as("the pool is not poisoned by the abandoned call").isEqualTo(200);
        assertThat(state().path("failedCalls").asInt()).isEqualTo(1);
        assertThat(state().path("bufferedCalls").asInt()).isEqualTo(2);
    }

    @Test
    void proxiesLikeThePlainProxyWhileClosed() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, CONFIG, Instant.parse("2026-01-01T00:00:00Z")));

        HttpResponse<String> echoed = fixture.send(java.net.http.HttpRequest.newBuilder(fixture.traffic("/echo/a?b=c"))
                .header("X-Custom", "1").POST(java.net.http.HttpRequest.BodyPublishers.ofString("hello")).build());
        assertThat(echoed.statusCode()).isEqualTo(200);
        assertThat(echoed.headers().firstValue("X-Upstream")).hasValue("test");
        assertThat(echoed.body()).startsWith("POST /echo/a?b=c\n").contains("x-custom: 1").contains("x-forwarded-for: 127.0.0.1")
                .contains("content-length: 5").contains("host: 127.0.0.1:" + fixture.sidecar.port());
    }

    private JsonNode state() {
        return fixture.adminJson("/state").path("breakers").get(0);
    }
}
