package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

/**
 * Many slow requests at once must not starve the I/O threads (Undertow runs max(2, cores) of them;
 * this machine has 2): with 200 requests held in flight by the upstream on the guarded path (breaker,
 * timeout, retries) and another 100 parked in a concurrency queue, a fast request still gets its answer.
 */
class IoThreadStarvationIT {
    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @Test
    void aFastRequestIsAnsweredWhileTwoHundredSlowOnesAreInFlight() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                breakers:
                  - name: app
                    target: Inbound
                    minimumNumberOfCalls: 1000
                    timeout: 60s
                    retry: {maxAttempts: 2}
                """, Instant.parse("2026-01-01T00:00:00Z"), 256));
        List<CompletableFuture<HttpResponse<String>>> slow = send(200, "/hold");
        await().atMost(Duration.ofSeconds(60)).until(() -> fixture.upstream.held.get() == 200);

        HttpResponse<String> fast = fixture.get("/echo/fast");

        assertThat(fast.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream.held.get()).as("the slow ones are still in flight").isEqualTo(200);
        fixture.upstream.stopHolding();
        for (CompletableFuture<HttpResponse<String>> response : slow) {
            assertThat(response.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void parkedRequestsHoldNoThread() throws Exception {
        fixture = closer.keep(SidecarFixture.withUpstreamThreads(directory, """
                breakers:
                  - name: app
                    target: Inbound
                    minimumNumberOfCalls: 1000
                    timeout: 60s
                policies:
                  - name: api
                    rules:
                      - name: all
                        limits: [{requests: 1000000, period: 1s}]
                    backpressure:
                      concurrency: {maxConcurrent: 200, queueSize: 200, maxWait: 60s}
                      shedding:
                        priorityHeader: X-Priority
                        defaultPriority: normal
                        priorities:
                          - {name: critical, shedAtUtilisation: 100}
                          - {name: normal, shedAtUtilisation: 100}
                """, Instant.parse("2026-01-01T00:00:00Z"), 256));
        List<CompletableFuture<HttpResponse<String>>> slow = send(300, "/hold");
        await().atMost(Duration.ofSeconds(60)).until(() -> fixture.upstream.held.get() == 200
                && fixture.adminJson("/state").path("backpressure").get(0).path("queued").asInt() == 100);

        CompletableFuture<HttpResponse<String>> critical = fixture.client.sendAsync(
                HttpRequest.newBuilder(fixture.traffic("/echo/fast")).header("X-Priority", "critical").build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.adminJson("/state").path("backpressure").get(0).path("queued").asInt() == 101);
        fixture.upstream.releaseHeld();

        assertThat(critical.get(60, TimeUnit.SECONDS).statusCode()).as("a parked request resumes when slots free up").isEqualTo(200);
        fixture.upstream.stopHolding();
        for (CompletableFuture<HttpResponse<String>> response : slow) {
            assertThat(response.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    private List<CompletableFuture<HttpResponse<String>>> send(int count, String path) {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            responses.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic(path)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        return responses;
    }
}
