package dev.sluice.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.sluice.sidecar.drain.DrainToken;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /report} over real sockets: the compact report the operator scrapes, field for field as the operator
 * reads it (docs/architecture.md, "Reports"): the document in force, the last refusal, counters that survive reloads,
 * breakers, gates.
 */
class ReportIT {
    private static final Instant START = Instant.parse("2026-11-28T03:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** An operator-written document of {@code generation}: a rule of 2 requests a second, a Shadow rule, a gate and a breaker. */
    private static String document(long generation) {
        return """
                version: 1
                generation: %d
                resources:
                  - {kind: CircuitBreaker, name: app, generation: 3}
                  - {kind: RateLimitPolicy, name: api, generation: 4}
                  - {kind: RateLimitPolicy, name: trial, generation: 1}
                policies:
                  - name: api
                    namespace: shop
                    rules: [{name: per-second, limits: [{requests: 2, period: 1s}]}]
                    backpressure:
                      concurrency: {maxConcurrent: 4, queueSize: 10, maxWait: 30s}
                  - name: trial
                    namespace: shop
                    mode: Shadow
                    rules: [{name: tight, limits: [{requests: 1, period: 1h}]}]
                breakers:
                  - name: app
                    namespace: shop
                    target: Inbound
                    failureRateThreshold: 50
                    minimumNumberOfCalls: 2
                    slidingWindow: {type: Count, size: 2}
                    waitDurationInOpenState: 30s
                """.formatted(generation);
    }

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void reportsTheDocumentInForceItsRulesBreakersAndGatesCompactly() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, document(12), START));
        assertThat(fixture.statuses(3, "/")).as("the third is over the limit of 2 a second").isEqualTo("200 200 429");

        HttpResponse<String> response = fixture.admin("/report");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).as("compact: no pretty printing").doesNotContain("\n").doesNotContain(": ");
        JsonNode report = ConfigLoader.json().readTree(response.body());

        assertThat(fieldNames(report)).containsExactly("sidecarVersion", "documentVersion", "config", "refused", "rules", "breakers",
                "gates", "draining");
        assertThat(report.path("sidecarVersion").asText()).as("the classes under test come from no jar").isEqualTo("dev");
        assertThat(report.path("documentVersion").asInt()).isEqualTo(1);
        assertThat(report.path("draining").isBoolean()).isTrue();
        assertThat(report.path("draining").asBoolean()).isFalse();
        assertThat(report.path("refused").isNull()).isTrue();

        JsonNode config = report.path("config");
        assertThat(fieldNames(config)).containsExactly("generation", "version", "source", "configMapUid", "loadedAt", "resources",
                "ignoredFields");
        assertThat(config.path("generation").asLong()).isEqualTo(12);
        assertThat(config.path("version").asInt()).isEqualTo(1);
        assertThat(config.path("source").asText()).isEqualTo("file");
        assertThat(config.path("configMapUid").isNull()).isTrue();
        assertThat(Instant.parse(config.path("loadedAt").asText())).isEqualTo(fixture.adminJson("/config").path("loadedAt").asText());
        assertThat(config.path("resources").toString()).isEqualTo("[{\"kind\":\"CircuitBreaker\",\"name\":\"app\",\"generation\":3},"
                + "{\"kind\":\"RateLimitPolicy\",\"name\":\"api\",\"generation\":4},{\"kind\":\"RateLimitPolicy\",\"name\":\"trial\",\"generation\":1}]");
        assertThat(config.path("ignoredFields").toString()).isEqualTo("[]");

        // The third request, rejected by api, never reached trial's rule.
        assertThat(report.path("rules").toString()).isEqualTo("["
                + "{\"policy\":\"api\",\"rule\":\"per-second\",\"mode\":\"Enforce\",\"requests\":3,\"rejected\":1,\"shadowRejected\":0,\"fallbacks\":0},"
                + "{\"policy\":\"trial\",\"rule\":\"tight\",\"mode\":\"Shadow\",\"requests\":2,\"rejected\":0,\"shadowRejected\":1,\"fallbacks\":0}]");
        assertThat(report.path("breakers").toString()).isEqualTo("[{\"breaker\":\"app\",\"state\":\"closed\",\"since\":null}]");
        assertThat(report.path("gates").toString()).isEqualTo("[{\"policy\":\"api\",\"inFlight\":0,\"queued\":0}]");
    }

    @Test
    void aCircuitThatOpensReportsWhenAndAGateReportsWhatItHolds() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, document(1), START));
        fixture.upstream.flakyStatus.set(500);
        fixture.clock.advance(Duration.ofSeconds(5));
        assertThat(fixture.statuses(2, "/flaky")).isEqualTo("500 500");

        JsonNode breaker = report(fixture).path("breakers").get(0);
        assertThat(breaker.path("state").asText()).isEqualTo("open");
        assertThat(breaker.path("since").asText()).as("the breaker's clock when it opened").isEqualTo("2026-11-28T03:00:05Z");

        // Half-open after 30 s: trial calls go through the gate to an upstream that holds them.
        fixture.clock.advance(Duration.ofSeconds(31));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        held.add(fixture.client.sendAsync(HttpRequest.newBuilder(fixture.traffic("/hold")).build(), HttpResponse.BodyHandlers.ofString()));
        JsonNode report = awaitReport(fixture, r -> r.path("gates").get(0).path("inFlight").asInt() == 1);
        assertThat(report.path("gates").get(0).path("queued").asInt()).isZero();
        assertThat(report.path("breakers").get(0).path("state").asText()).isEqualTo("half_open");
        assertThat(report.path("breakers").get(0).path("since").asText()).isEqualTo("2026-11-28T03:00:36Z");
        fixture.upstream.releaseHeld();
        assertThat(held.get(0).get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void countersSurviveReloadsAndARefusalIsReportedWithWhatTheRefusedDocumentCarriedUntilALaterOneLoads() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, document(12), START));
        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 429");

        fixture.reload(document(13).replace("name: trial, generation: 1", "name: trial, generation: 2"), 13);
        JsonNode report = report(fixture);
        assertThat(report.path("config").path("resources").get(2).path("generation").asLong()).isEqualTo(2);
        assertThat(report.path("rules").get(0).path("requests").asLong()).as("cumulative across the reload").isEqualTo(3);
        fixture.clock.advance(Duration.ofSeconds(1));
        assertThat(fixture.statuses(1, "/")).isEqualTo("200");
        assertThat(report(fixture).path("rules").get(0).path("requests").asLong()).isEqualTo(4);

        // Refused: the policy's new limit is invalid. What the refused document carried is reported beside the refusal.
        fixture.writeConfig(document(14).replace("requests: 2,", "requests: 0,").replace("name: api, generation: 4", "name: api, generation: 5"));
        report = awaitReport(fixture, r -> !r.path("refused").isNull());
        JsonNode refused = report.path("refused");
        assertThat(fieldNames(refused)).containsExactly("at", "generation", "message", "resources");
        assertThat(refused.path("generation").asLong()).isEqualTo(14);
        assertThat(refused.path("message").asText()).isEqualTo("policies[0].rules[0].limits[0].requests: must be at least 1, got 0")
                .isEqualTo(fixture.adminJson("/config").path("lastReloadError").path("message").asText());
        assertThat(refused.path("resources").get(1).toString()).isEqualTo("{\"kind\":\"RateLimitPolicy\",\"name\":\"api\",\"generation\":5}");
        assertThat(Instant.parse(refused.path("at").asText())).isNotNull();
        assertThat(report.path("config").path("generation").asLong()).as("the last good document stays in force").isEqualTo(13);

        // Refused before it could be read at all: no generation, no resources.
        fixture.writeConfig("generation: 15\npolicies: [");
        report = awaitReport(fixture, r -> r.path("refused").path("message").asText().contains("not valid YAML"));
        assertThat(report.path("refused").path("generation").isNull()).isTrue();
        assertThat(report.path("refused").path("resources").toString()).isEqualTo("[]");

        fixture.reload(document(16), 16);
        report = report(fixture);
        assertThat(report.path("refused").isNull()).as("cleared by the later document").isTrue();
        assertThat(report.path("config").path("generation").asLong()).isEqualTo(16);
    }

    @Test
    void aDocumentOfANewerFormatIsEnforcedAndItsIgnoredFieldsAreReported() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, document(12), START));

        fixture.reload(document(13).replace("version: 1", "version: 2\nnewTopLevel: {x: 1}")
                .replace("rules: [{name: per-second,", "rules: [{name: per-second, weightedBy: header,"), 13);
        assertThat(fixture.statuses(3, "/")).as("what it knows is enforced").isEqualTo("200 200 429");

        JsonNode config = report(fixture).path("config");
        assertThat(config.path("version").asInt()).isEqualTo(2);
        assertThat(config.path("ignoredFields").toString()).isEqualTo("[\"newTopLevel\",\"policies[0].rules[0].weightedBy\"]");
        assertThat(fixture.adminJson("/config").path("ignoredFields").toString())
                .isEqualTo("[\"newTopLevel\",\"policies[0].rules[0].weightedBy\"]");

        // The same field in a document of the current format is a typo: refused, and named.
        fixture.writeConfig(document(14).replace("rules: [{name: per-second,", "rules: [{name: per-second, weightedBy: header,"));
        JsonNode refused = awaitReport(fixture, r -> !r.path("refused").isNull()).path("refused");
        assertThat(refused.path("message").asText()).startsWith("policies[0].rules[0].weightedBy: unknown field 'weightedBy'");
        assertThat(refused.path("generation").asLong()).isEqualTo(14);
    }

    @Test
    void aDrainingSidecarSaysSo() throws Exception {
        String token = "0123456789abcdef0123456789abcdef";
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, document(1), START, s -> s.withDrainToken(token)));
        assertThat(report(fixture).path("draining").asBoolean()).isFalse();

        HttpResponse<String> drained = fixture.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + fixture.sidecar.adminPort() + "/drain?seconds=0")).header(DrainToken.HEADER, token).build());
        assertThat(drained.statusCode()).isEqualTo(200);
        assertThat(report(fixture).path("draining").asBoolean()).isTrue();
    }

    private static JsonNode report(SidecarFixture fixture) {
        try {
            return ConfigLoader.json().readTree(fixture.admin("/report").body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode awaitReport(SidecarFixture fixture, Predicate<JsonNode> condition) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).until(() -> condition.test(last[0] = report(fixture)));
        return last[0];
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
