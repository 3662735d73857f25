package dev.sluice.sidecar.backpressure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Concurrency limits, priority shedding, the wait queue and the adaptive limit, in a real sidecar under real concurrent load. */
class BackpressureIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final String RULE = """
                rules:
                  - name: all
                    limits: [{requests: 1000000, period: 1s}]
            """;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @Test
    void lowerPrioritiesAreShedFirstAsTheLimitFills() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 10, queueSize: 0}
                      shedding:
                        priorityHeader: X-Priority
                        defaultPriority: normal
                        priorities:
                          - {name: critical, shedAtUtilisation: 100}
                          - {name: high, shedAtUtilisation: 90}
                          - {name: normal, shedAtUtilisation: 80}
                          - {name: low, shedAtUtilisation: 50}
                """.formatted(RULE), START, 32));
        List<CompletableFuture<HttpResponse<String>>> holding = new ArrayList<>();

        hold(holding, 5);
        assertThat(probes()).isEqualTo("low=503 normal=200 high=200 critical=200");
        hold(holding, 3);
        assertThat(probes()).isEqualTo("low=503 normal=503 high=200 critical=200");
        hold(holding, 1);
        assertThat(probes()).isEqualTo("low=503 normal=503 high=503 critical=200");
        hold(holding, 1);
        assertThat(probes()).isEqualTo("low=503 normal=503 high=503 critical=503");

        HttpResponse<String> shed = fixture.get("/", "X-Priority", "low");
        assertThat(shed.headers().firstValue("Retry-After")).hasValue("1");
        JsonNode body = ConfigLoader.json().readTree(shed.body());
        assertThat(body.path("error").asText()).isEqualTo("overloaded");
        assertThat(body.path("reason").asText()).isEqualTo("shed");
        assertThat(body.path("priority").asText()).isEqualTo("low");
        assertThat(body.path("limit").asInt()).isEqualTo(10);

        fixture.upstream.releaseHeld();
        for (CompletableFuture<HttpResponse<String>> response : holding) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gate().path("inFlight").asInt() == 0);
        assertThat(probes()).isEqualTo("low=200 normal=200 high=200 critical=200");
        assertThat(fixture.metric("sluice_shed_requests_total{policy=\"api\",priority=\"low\",reason=\"shed\"}")).isEqualTo(5);
        assertThat(fixture.metric("sluice_shed_requests_total{policy=\"api\",priority=\"normal\",reason=\"shed\"}")).isEqualTo(3);
        assertThat(fixture.metric("sluice_shed_requests_total{policy=\"api\",priority=\"high\",reason=\"shed\"}")).isEqualTo(2);
        assertThat(fixture.metric("sluice_shed_requests_total{policy=\"api\",priority=\"critical\",reason=\"queue_full\"}")).isEqualTo(1);
    }

    @Test
    void waitingRequestsHoldNoThreadAndResumeAsSlotsFree() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 4, queueSize: 100, maxWait: 30s}
                """.formatted(RULE), START, 32));
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            responses.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic("/hold")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> gate().path("queued").asInt() == 56 && fixture.upstream.held.get() == 4);
        assertThat(gate().path("inFlight").asInt()).isEqualTo(4);
        assertThat(fixture.metric("sluice_concurrency_queued{policy=\"api\"}")).isEqualTo(56);

        for (int round = 0; round < 15; round++) {
            fixture.upstream.releaseHeld();
            int released = round;
            await().atMost(Duration.ofSeconds(20)).until(() -> fixture.upstream.held.get() == 4 || released == 14);
        }
        fixture.upstream.stopHolding();
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(fixture.upstream.held.get()).isZero();
    }

    @Test
    void aFullQueueAndAnExpiredWaitAnswer503() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 1, maxWait: 200ms}
                """.formatted(RULE), START, 8));
        CompletableFuture<HttpResponse<String>> holder = fixture.client.sendAsync(
                HttpRequest.newBuilder(fixture.traffic("/hold")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream.held.get() == 1);
        CompletableFuture<HttpResponse<String>> waiter = fixture.client.sendAsync(
                HttpRequest.newBuilder(fixture.traffic("/")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> gate().path("queued").asInt() == 1 || waiter.isDone());
        HttpResponse<String> full = fixture.get("/");
        HttpResponse<String> timedOut = waiter.get(20, TimeUnit.SECONDS);

        assertThat(timedOut.statusCode()).isEqualTo(503);
        assertThat(ConcurrencyBody.reason(timedOut)).isEqualTo("queue_timeout");
        assertThat(full.statusCode()).isEqualTo(503);
        assertThat(ConcurrencyBody.reason(full)).isIn("queue_full", "queue_timeout");
        fixture.upstream.releaseHeld();
        assertThat(holder.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void pastTheSidecarsCapOnParkedRequestsARequestIsRefusedAtOnceWhateverItsQueueHolds() throws Exception {
        // Two policies, each with room for 10 waiting requests; the sidecar has room for 3 over both.
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 10, maxWait: 60s}
                  - name: app
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 10, maxWait: 60s}
                """.formatted(RULE, RULE), START, 8, settings -> settings.withCaps(settings.caps().withMaxParked(3))));
        CompletableFuture<HttpResponse<String>> holder = fixture.client.sendAsync(
                HttpRequest.newBuilder(fixture.traffic("/hold")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream.held.get() == 1);
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic("/")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.metric("sluice_parked_requests") == 3);

        HttpResponse<String> refused = fixture.get("/");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(ConcurrencyBody.reason(refused)).isEqualTo("parked_full");
        assertThat(ConfigLoader.json().readTree(refused.body()).path("message").asText()).contains("--max-parked");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        assertThat(fixture.metric("sluice_shed_requests_total{policy=\"api\",priority=\"default\",reason=\"parked_full\"}")).isEqualTo(1);

        fixture.upstream.releaseHeld();
        assertThat(holder.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        for (CompletableFuture<HttpResponse<String>> response : waiting) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).as("a parked request, admitted when the slot freed up").isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.metric("sluice_parked_requests") == 0);
        assertThat(fixture.get("/").statusCode()).as("every place given back").isEqualTo(200);
    }

    @Test
    void aRequestRefusedAfterItsWaitGivesItsPlaceBack() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 10, maxWait: 100ms}
                """.formatted(RULE), START, 8, settings -> settings.withCaps(settings.caps().withMaxParked(1))));
        CompletableFuture<HttpResponse<String>> holder = fixture.client.sendAsync(
                HttpRequest.newBuilder(fixture.traffic("/hold")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream.held.get() == 1);

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> timedOut = fixture.get("/");
            assertThat(timedOut.statusCode()).isEqualTo(503);
            assertThat(ConcurrencyBody.reason(timedOut)).as("attempt %d", i).isEqualTo("queue_timeout");
        }
        assertThat(fixture.metric("sluice_parked_requests")).isZero();
        fixture.upstream.releaseHeld();
        assertThat(holder.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void theAdaptiveLimitFallsWhenUpstreamLatencyRises() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                policies:
                  - name: api
                %s
                    backpressure:
                      adaptive: {algorithm: Gradient, minLimit: 2, maxLimit: 200, initialLimit: 40}
                """.formatted(RULE), START, 128));
        for (int i = 0; i < 50; i++) {
            assertThat(fixture.get("/flaky").statusCode()).isEqualTo(200);
        }
        int before = gate().path("limit").asInt();
        assertThat(before).isGreaterThanOrEqualTo(40);

        fixture.upstream.flakyDelayMillis.set(300);
        List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            slow.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic("/flaky")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : slow) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isIn(200, 503);
        }
        int after = gate().path("limit").asInt();
        assertThat(after).as("limit before %d, after the upstream slowed down %d", before, after).isLessThan(before / 2);
        assertThat(fixture.metric("sluice_concurrency_limit{policy=\"api\"}")).isEqualTo(after);
    }

    private void hold(List<CompletableFuture<HttpResponse<String>>> holding, int count) {
        int target = fixture.upstream.held.get() + count;
        for (int i = 0; i < count; i++) {
            holding.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic("/hold")).header("X-Priority", "critical").build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream.held.get() == target);
    }

    private String probes() {
        List<String> statuses = new ArrayList<>();
        for (String priority : List.of("low", "normal", "high", "critical")) {
            statuses.add(priority + "=" + fixture.get("/", "X-Priority", priority).statusCode());
        }
        return String.join(" ", statuses);
    }

    private JsonNode gate() {
        return fixture.adminJson("/state").path("backpressure").get(0);
    }

    private static final class ConcurrencyBody {
        static String reason(HttpResponse<String> response) throws Exception {
            return ConfigLoader.json().readTree(response.body()).path("reason").asText();
        }
    }
}
