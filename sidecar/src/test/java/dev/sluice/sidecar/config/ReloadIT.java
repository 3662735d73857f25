package dev.sluice.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarFixture;
import dev.sluice.sidecar.SidecarSettings;
import dev.sluice.sidecar.http.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Configuration changes while the sidecar serves: swapped atomically, refused whole, and bounded in what they keep. */
class ReloadIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    private static String generation(long generation, String strictRules) {
        return """
                generation: %d
                policies:
                  - name: api
                    rules:
                      - name: generous
                        limits: [{requests: 1000000, period: 1s}]
                %s""".formatted(generation, strictRules);
    }

    private static String strictRule(String name) {
        return "      - name: " + name + "\n"
                + "        match: {path: {prefix: /strict}}\n"
                + "        limits: [{requests: 2, period: 1h}]\n";
    }

    @Test
    void reloadsUnderTrafficWithoutDroppingARequest() throws Exception {
        fixture = closer.keep(SidecarFixture.withSystemClock(directory, generation(1, "")));
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger failures = new AtomicInteger();
        AtomicBoolean reloading = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int client = 0; client < 4; client++) {
            running.add(clients.submit(() -> {
                for (int i = 0; i < 2_000 && reloading.get(); i++) {
                    try {
                        int status = fixture.get("/traffic").statusCode();
                        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }

        for (long generation = 2; generation <= 6; generation++) {
            String strict = generation % 2 == 0 ? strictRule("strict-" + generation) : "";
            fixture.reload(generation(generation, strict), generation);
        }
        reloading.set(false);
        for (Future<?> client : running) {
            client.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertThat(failures.get()).as("requests that failed at the HTTP level").isZero();
        assertThat(statuses.keySet()).containsExactly(200);
        assertThat(statuses.get(200).get()).isGreaterThan(20);
        fixture.reload(generation(7, strictRule("strict")), 7);
        assertThat(fixture.statuses(3, "/strict")).isEqualTo("200 200 429");
        assertThat(fixture.metric("sluice_config_reloads_total{result=\"success\"}")).isEqualTo(7);
    }

    @Test
    void rulesThatDidNotChangeKeepTheirCounters() throws Exception {
        String config = """
                generation: %d
                policies:
                  - name: api
                    rules:
                      - name: kept
                        limits: [{requests: 3, period: 1h}]
                      - name: edited
                        match: {path: {prefix: /edited}}
                        limits: [{requests: %d, period: 1h}]
                """;
        fixture = closer.keep(SidecarFixture.withClock(directory, config.formatted(1, 2), START));
        assertThat(fixture.statuses(2, "/edited")).isEqualTo("200 200");

        fixture.reload(config.formatted(2, 4), 2);

        // "kept" has 1 of its 3 left; "edited" starts again with its new limit of 4.
        HttpResponse<String> afterReload = fixture.get("/edited");
        assertThat(afterReload.statusCode()).isEqualTo(200);
        assertThat(afterReload.headers().firstValue("RateLimit")).hasValue("\"kept-1h\";r=0;t=3600, \"edited-1h\";r=3;t=900");
        assertThat(fixture.statuses(1, "/edited")).isEqualTo("429");
    }

    @Test
    void anInvalidFileIsRefusedAndTheLastGoodConfigStaysInForce() throws Exception {
        String valid = """
                generation: 1
                policies:
                  - name: api
                    rules:
                      - name: small
                        limits: [{requests: 2, period: 1h}]
                """;
        fixture = closer.keep(SidecarFixture.withClock(directory, valid, START));
        assertThat(fixture.statuses(1, "/")).isEqualTo("200");

        fixture.writeConfig(valid.replace("generation: 1", "generation: 2").replace("requests: 2", "requests: 0"));
        JsonNode error = await().atMost(Duration.ofSeconds(10))
                .until(() -> fixture.adminJson("/config").path("lastReloadError"), node -> !node.isNull() && !node.isMissingNode());

        assertThat(error.path("message").asText()).isEqualTo("policies[0].rules[0].limits[0].requests: must be at least 1, got 0");
        assertThat(error.path("errors").get(0).path("field").asText()).isEqualTo("policies[0].rules[0].limits[0].requests");
        assertThat(fixture.adminJson("/config").path("generation").asLong()).isEqualTo(1);
        HttpResponse<String> ready = fixture.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("must be at least 1, got 0");
        assertThat(fixture.metric("sluice_config_reloads_total{result=\"failure\"}")).isGreaterThanOrEqualTo(1);
        assertThat(fixture.metric("sluice_config_last_reload_failed")).isEqualTo(1);
        // Still generation 1, with its counter: one of two left.
        assertThat(fixture.statuses(2, "/")).isEqualTo("200 429");

        fixture.writeConfig("policies: [ {name: api");
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.adminJson("/config").path("lastReloadError").path("message").asText()
                .contains("not valid YAML or JSON"));
        assertThat(fixture.statuses(1, "/")).isEqualTo("429");

        fixture.reload(valid.replace("generation: 1", "generation: 3").replace("requests: 2", "requests: 5"), 3);
        JsonNode cleared = fixture.adminJson("/config").path("lastReloadError");
        assertThat(cleared.isNull() || cleared.isMissingNode()).as("lastReloadError after a good reload").isTrue();
        assertThat(fixture.metric("sluice_config_last_reload_failed")).isZero();
    }

    @Test
    void aReloadThatCannotBePutInForceKeepsTheWholeLastGoodConfiguration() throws Exception {
        String config = """
                generation: %d
                %s
                policies:
                  - name: api
                    rules:
                      - name: small
                        limits: [{requests: %d, period: 1h}]
                    backpressure:
                      concurrency: {maxConcurrent: %d, queueSize: 0}
                %s""";
        String sharedPolicy = """
                  - name: shared
                    scope: Global
                    failureMode: Open
                    replicas: 1
                    rules: [{name: all, limits: [{requests: 1000, period: 1s}]}]
                """;
        Path missingCa = directory.resolve("missing-ca.crt");
        String unreachableRedis = "redis: {addresses: ['127.0.0.1:1'], connectTimeout: 200ms%s}";
        fixture = closer.keep(SidecarFixture.withClock(directory, config.formatted(1, "", 2, 10, ""), START));
        assertThat(fixture.statuses(1, "/")).isEqualTo("200");

        fixture.writeConfig(config.formatted(2, unreachableRedis.formatted(", tls: {caFile: " + missingCa + "}"), 5, 20, sharedPolicy));
        JsonNode error = await().atMost(Duration.ofSeconds(10))
                .until(() -> fixture.adminJson("/config").path("lastReloadError"), node -> !node.isNull() && !node.isMissingNode());

        assertThat(error.path("errors").get(0).path("field").asText()).isEqualTo("redis.tls.caFile");
        assertThat(error.path("message").asText()).contains("cannot read " + missingCa);
        assertThat(fixture.metric("sluice_config_reloads_total{result=\"failure\"}")).isEqualTo(1);
        assertThat(fixture.metric("sluice_config_last_reload_failed")).isEqualTo(1);
        HttpResponse<String> ready = fixture.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("redis.tls.caFile").contains(missingCa.toString());
        // Generation 1 whole: its limit (one of two left), its gate, and no Global policy.
        JsonNode view = fixture.adminJson("/config");
        assertThat(view.path("generation").asLong()).isEqualTo(1);
        assertThat(view.path("appliedPolicies").toString()).isEqualTo("[\"api\"]");
        assertThat(fixture.adminJson("/state").path("backpressure").get(0).path("limit").asInt()).isEqualTo(10);
        assertThat(fixture.metric("sluice_concurrency_limit{policy=\"api\"}")).isEqualTo(10);
        assertThat(fixture.statuses(2, "/")).isEqualTo("200 429");

        fixture.reload(config.formatted(3, unreachableRedis.formatted(""), 5, 20, sharedPolicy), 3);

        JsonNode cleared = fixture.adminJson("/config").path("lastReloadError");
        assertThat(cleared.isNull() || cleared.isMissingNode()).as("lastReloadError after a good reload").isTrue();
        assertThat(fixture.adminJson("/config").path("appliedPolicies").toString()).isEqualTo("[\"api\",\"shared\"]");
        assertThat(fixture.adminJson("/state").path("backpressure").get(0).path("limit").asInt()).isEqualTo(20);
        assertThat(fixture.metric("sluice_concurrency_limit{policy=\"api\"}")).isEqualTo(20);
        assertThat(fixture.get("/").headers().firstValue("RateLimit-Policy")).hasValueSatisfying(policy -> assertThat(policy).contains("\"small-1h\";q=5"));
        assertThat(fixture.metric("sluice_config_reloads_total{result=\"success\"}")).isEqualTo(2);
    }

    @Test
    void aRefusedFileIsRetriedWhenItsContentChanges() throws Exception {
        String valid = """
                generation: %d
                policies:
                  - name: api
                    rules: [{name: small, limits: [{requests: 2, period: 1h}]}]
                """;
        String missingCa = "redis: {addresses: ['127.0.0.1:1'], tls: {caFile: %s}}\n".formatted(directory.resolve("missing-ca.crt"))
                + "policies: [{name: shared, scope: Global, rules: [{name: all, limits: [{requests: 1, period: 1s}]}]}]\n";
        fixture = closer.keep(SidecarFixture.withClock(directory, valid.formatted(1), START));

        fixture.writeConfig("generation: 2\n" + missingCa);
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.admin("/readyz").body().contains("redis.tls.caFile"));
        // The same content again (a new file, a new modification time) is not tried again.
        fixture.writeConfig("generation: 2\n" + missingCa);
        fixture.reload(valid.formatted(3), 3);

        assertThat(fixture.metric("sluice_config_reloads_total{result=\"failure\"}")).isEqualTo(1);
        assertThat(fixture.admin("/readyz").body()).doesNotContain("caFile");
        fixture.writeConfig("generation: 4\n" + missingCa);
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.metric("sluice_config_reloads_total{result=\"failure\"}") == 2);
        assertThat(fixture.adminJson("/config").path("generation").asLong()).isEqualTo(3);
    }

    @Test
    void anOptionalConfigMapVolumeEnforcesNothingUntilItsFileAppearsAndAgainOnceItGoes() throws Exception {
        ConfigMapVolume volume = new ConfigMapVolume(directory.resolve("sluice-config"));
        String limited = """
                generation: %d
                policies:
                  - name: api
                    rules: [{name: small, limits: [{requests: %d, period: 1h}]}]
                """;
        ListAppender<ILoggingEvent> log = watcherLog();
        fixture = closer.keep(SidecarFixture.withOptionalConfig(volume.file("sidecar.yaml").getParent(), START, s -> s));

        // The namespace has no policies yet: the optional ConfigMap does not exist, and its volume is empty.
        assertThat(fixture.admin("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = fixture.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"configFile\" : \"absent\"");
        assertThat(fixture.adminJson("/config").path("rules")).isEmpty();
        HttpResponse<String> passedThrough = fixture.get("/");
        assertThat(passedThrough.statusCode()).isEqualTo(200);
        assertThat(passedThrough.headers().firstValue("RateLimit-Policy")).isEmpty();
        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 200");

        volume.write(Map.of("sidecar.yaml", limited.formatted(1, 2)));
        fixture.reload(null, 1);
        assertThat(fixture.adminJson("/config").path("configFile").asText()).isEqualTo("present");
        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 429");

        // An update swaps the ..data symlink: loaded like any change (the edited rule starts again with its new limit).
        volume.write(Map.of("sidecar.yaml", limited.formatted(2, 4)));
        fixture.reload(null, 2);
        assertThat(fixture.statuses(5, "/")).isEqualTo("200 200 200 200 429");

        // A file that is there but invalid is refused as always: the last good one stays.
        volume.write(Map.of("sidecar.yaml", limited.formatted(3, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.adminJson("/config").path("lastReloadError").path("message").asText()
                .contains("must be at least 1, got 0"));
        assertThat(fixture.adminJson("/config").path("generation").asLong()).isEqualTo(2);
        assertThat(fixture.statuses(1, "/")).isEqualTo("429");

        // The ConfigMap is deleted (the last policy went): nothing is enforced, and the refusal goes with the file.
        volume.delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.adminJson("/config").path("configFile").asText().equals("absent"));
        JsonNode absent = fixture.adminJson("/config");
        assertThat(absent.path("rules")).isEmpty();
        assertThat(absent.path("lastReloadError").isNull() || absent.path("lastReloadError").isMissingNode()).as("lastReloadError").isTrue();
        assertThat(fixture.statuses(3, "/")).isEqualTo("200 200 200");
        assertThat(fixture.admin("/readyz").statusCode()).isEqualTo(200);

        volume.write(Map.of("sidecar.yaml", limited.formatted(4, 1)));
        fixture.reload(null, 4);
        assertThat(fixture.statuses(2, "/")).isEqualTo("200 429");
        assertThat(fixture.metric("sluice_config_last_reload_failed")).isZero();
        assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("sidecar.yaml")).toList())
                .as("a line each time the file goes or comes")
                .satisfiesExactly(
                        line -> assertThat(line).contains("is absent: nothing is enforced"),
                        line -> assertThat(line).endsWith("appeared"),
                        line -> assertThat(line).contains("refused"),
                        line -> assertThat(line).contains("is absent: nothing is enforced"),
                        line -> assertThat(line).endsWith("appeared"));
    }

    @Test
    void withoutConfigOptionalAMissingFileIsAnErrorAtStart() throws Exception {
        TestUpstream upstream = closer.keep(new TestUpstream());
        Sidecar sidecar = closer.keep(new Sidecar(SidecarSettings.loopback(directory.resolve("missing.yaml"), upstream.uri())));

        assertThatThrownBy(sidecar::start).isInstanceOf(InvalidConfigException.class).hasMessageContaining("cannot read")
                .hasMessageContaining("missing.yaml");
    }

    /** What the config watcher logs from now until the test ends. */
    private ListAppender<ILoggingEvent> watcherLog() {
        Logger logger = (Logger) LoggerFactory.getLogger(ConfigWatcher.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        closer.keep(() -> logger.detachAppender(appender));
        return appender;
    }

    @Test
    void aFloodOfDistinctClientsIsBoundedAndNeverResetsAQuota() throws Exception {
        fixture = closer.keep(SidecarFixture.withClock(directory, """
                trustedProxies: [127.0.0.1/32]
                keys: {maxPerRule: 200, idleTimeout: 1m}
                policies:
                  - name: api
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits: [{requests: 1, period: 1h}]
                """, START));
        String exhausted = "192.0.2.1";
        assertThat(fixture.statuses(2, "/", "X-Forwarded-For", exhausted)).isEqualTo("200 429");

        int served = 0;
        for (int i = 0; i < 1_000; i++) {
            String client = "10." + (i / 65_536) + "." + (i / 256 % 256) + "." + (i % 256);
            served += fixture.get("/", "X-Forwarded-For", client).statusCode() == 200 ? 1 : 0;
        }
        fixture.sidecar.enforcement().limiter().cleanUp();

        assertThat(keys()).isLessThanOrEqualTo(200);
        // The first 199 get keys of their own; the others share the rule's overflow counters, where
        // most of them still find their one request.
        assertThat(served).isBetween(600, 1_000);
        assertThat(fixture.statuses(1, "/", "X-Forwarded-For", exhausted)).as("the exhausted client after the flood").isEqualTo("429");

        // Idle for longer than idleTimeout, but an hour has not passed: still refused.
        fixture.clock.advance(Duration.ofMinutes(2));
        fixture.sidecar.enforcement().limiter().cleanUp();
        assertThat(keys()).isEqualTo(200);
        assertThat(fixture.statuses(1, "/", "X-Forwarded-For", exhausted)).as("the exhausted client after idleTimeout").isEqualTo("429");

        // Once every bucket is full again and unseen for idleTimeout, keys go: forgetting them changes nothing.
        fixture.clock.advance(Duration.ofHours(1));
        fixture.sidecar.enforcement().limiter().cleanUp();
        assertThat(keys()).isZero();
        assertThat(fixture.metric("rate_limit_keys_evicted_total{policy=\"api\",reason=\"idle\",rule=\"per-client\"}")).isEqualTo(200);
        assertThat(fixture.statuses(2, "/", "X-Forwarded-For", exhausted)).isEqualTo("200 429");
    }

    private long keys() {
        return fixture.adminJson("/config").path("rules").get(0).path("keys").asLong();
    }
}
