package dev.sluice.sidecar.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Retries through a real sidecar against a real upstream that fails on command. */
class RetryIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    private static String config(int budgetPercent, int minRetriesPerSecond) {
        return """
                breakers:
                  - name: app
                    target: Inbound
                    minimumNumberOfCalls: 1000
                    slidingWindow: {type: Count, size: 1000}
                    timeout: 500ms
                    retry:
                      maxAttempts: 3
                      backoffBase: 1ms
                      backoffMax: 5ms
                      budgetPercent: %d
                      minRetriesPerSecond: %d
                """.formatted(budgetPercent, minRetriesPerSecond);
    }

    @Test
    void aFailedIdempotentRequestIsRetriedUntilItSucceeds() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, config(20, 10), START));
        fixture.upstream.failuresBeforeSuccess.set(2);

        assertThat(fixture.get("/flaky").statusCode()).isEqualTo(200);
        assertThat(fixture.upstream.flakyRequests.get()).isEqualTo(3);
        assertThat(fixture.metric("retry_attempts_total{success=\"false\",target=\"inbound\"}")).isEqualTo(1);
        assertThat(fixture.metric("retry_attempts_total{success=\"true\",target=\"inbound\"}")).isEqualTo(1);
    }

    @Test
    void attemptsAreBoundedAndTheLastAnswerIsPassedOn() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, config(20, 10), START));
        fixture.upstream.failuresBeforeSuccess.set(100);

        assertThat(fixture.get("/flaky").statusCode()).isEqualTo(503);
        assertThat(fixture.upstream.flakyRequests.get()).isEqualTo(3);
        assertThat(fixture.metric("sluice_retries_denied_total{reason=\"attempts\",target=\"inbound\"}")).isEqualTo(1);
    }

    @Test
    void aBufferedBodyIsSentAgainButAPostIsNotRetried() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, config(20, 10), START));
        fixture.upstream.failuresBeforeSuccess.set(1);
        HttpRequest put = HttpRequest.newBuilder(fixture.traffic("/flaky")).PUT(HttpRequest.BodyPublishers.ofString("x".repeat(1000))).build();
        assertThat(fixture.send(put).statusCode()).isEqualTo(200);
        assertThat(fixture.upstream.flakyRequests.get()).isEqualTo(2);

        fixture.upstream.failuresBeforeSuccess.set(1);
        HttpRequest post = HttpRequest.newBuilder(fixture.traffic("/flaky")).POST(HttpRequest.BodyPublishers.ofString("pay")).build();
        assertThat(fixture.send(post).statusCode()).isEqualTo(503);
        assertThat(fixture.upstream.flakyRequests.get()).isEqualTo(3);
    }

    @Test
    void theBudgetCapsRetriesAtTheirShareOfRequests() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, config(10, 0), START));
        fixture.upstream.failuresBeforeSuccess.set(1_000);

        assertThat(fixture.statuses(40, "/flaky")).doesNotContain("200");

        assertThat(fixture.upstream.flakyRequests.get()).as("40 requests, retries at most 10% of them").isEqualTo(44);
        assertThat(fixture.metric("retry_attempts_total{success=\"false\",target=\"inbound\"}")).isEqualTo(4);
        assertThat(fixture.metric("sluice_retries_denied_total{reason=\"budget\",target=\"inbound\"}"))
                .as("36 first retries and the second retry of the 4 that got one").isEqualTo(40);
    }

    @Test
    void aTimedOutAttemptIsRetried() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, config(20, 10), START));
        fixture.upstream.flakyDelayMillis.set(2_000);

        assertThat(fixture.get("/flaky").statusCode()).isEqualTo(504);
        assertThat(fixture.metric("retry_attempts_total{success=\"false\",target=\"inbound\"}")).isEqualTo(2);
        assertThat(fixture.adminJson("/state").path("breakers").get(0).path("failedCalls").asInt()).isEqualTo(3);
    }
}
