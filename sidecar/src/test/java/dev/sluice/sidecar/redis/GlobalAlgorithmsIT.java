package dev.sluice.sidecar.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.limit.ManualClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each algorithm kept in Redis by take.lua behaves as its local counterpart (same scenarios as RateLimitIT). */
class GlobalAlgorithmsIT {
    private static final Instant NEW_YEAR = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path directory;
    private RedisServer redis;
    private Replica replica;
    private Replica lagging;

    @RegisterExtension
    final Closer closer = new Closer();

    private ManualClock start(String strategy, String rule, Instant at) throws Exception {
        redis = closer.keep(RedisServer.start(directory.resolve("redis")));
        ManualClock clock = new ManualClock(at);
        replica = closer.keep(Replica.start(directory.resolve("replica"), """
                redis: {addresses: ['%s'], strategy: %s, timeout: 2s}
                policies:
                  - name: api
                    scope: Global
                    failureMode: Closed
                    rules:
                      - %s
                """.formatted(redis.address(), strategy, rule.replace("\n", "\n        ")), clock, null)).awaitRedis();
        return clock;
    }

    private String statuses(int count) {
        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            statuses.add(String.valueOf(replica.status("/")));
        }
        return String.join(" ", statuses);
    }

    @ParameterizedTest(name = "strategy {0}")
    @ValueSource(strings = {"Script", "Lease"})
    void tokenBucketAllowsTheBurstThenTheRate(String strategy) throws Exception {
        ManualClock clock = start(strategy, "name: bucket\nlimits: [{requests: 5, period: 1s, burst: 10}]", NEW_YEAR);

        assertThat(statuses(11)).isEqualTo("200 200 200 200 200 200 200 200 200 200 429");
        clock.advance(Duration.ofMillis(200));
        assertThat(statuses(2)).isEqualTo("200 429");
        clock.advance(Duration.ofSeconds(1));
        assertThat(statuses(6)).isEqualTo("200 200 200 200 200 429");
    }

    @ParameterizedTest(name = "strategy {0}")
    @ValueSource(strings = {"Script", "Lease"})
    void slidingWindowCountsThePreviousWindowByItsOverlap(String strategy) throws Exception {
        ManualClock clock = start(strategy, "name: window\nalgorithm: SlidingWindow\nlimits: [{requests: 4, period: 1s}]", NEW_YEAR);

        assertThat(statuses(5)).isEqualTo("200 200 200 200 429");
        HttpResponse<String> refused = replica.get("/");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
        clock.advance(Duration.ofMillis(1250));
        assertThat(statuses(2)).isEqualTo("200 429");
        clock.advance(Duration.ofSeconds(2));
        assertThat(statuses(5)).isEqualTo("200 200 200 200 429");
    }

    @ParameterizedTest(name = "strategy {0}")
    @ValueSource(strings = {"Script", "Lease"})
    void fixedWindowDailyQuotaResetsAtMidnightInItsTimeZone(String strategy) throws Exception {
        ManualClock clock = start(strategy, "name: daily\nalgorithm: FixedWindow\ntimeZone: Europe/Paris\nlimits: [{requests: 3, period: 1d}]",
                Instant.parse("2026-01-15T22:59:30Z"));

        assertThat(statuses(3)).isEqualTo("200 200 200");
        HttpResponse<String> refused = replica.get("/");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
        assertThat(refused.headers().firstValue("X-RateLimit-Reset"))
                .hasValue(String.valueOf(Instant.parse("2026-01-15T23:00:00Z").getEpochSecond()));
        clock.advance(Duration.ofSeconds(30));
        assertThat(statuses(4)).isEqualTo("200 200 200 429");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"FixedWindow", "SlidingWindow"})
    void aReplicaWhoseClockIsBehindDoesNotStartTheWindowAgain(String algorithm) throws Exception {
        start("Script", "name: window\nalgorithm: " + algorithm + "\nlimits: [{requests: 3, period: 1m}]",
                Instant.parse("2026-01-01T00:01:00.500Z"));
        lagging = closer.keep(Replica.start(directory.resolve("lagging"), """
                redis: {addresses: ['%s'], strategy: Script, timeout: 2s}
                policies:
                  - name: api
                    scope: Global
                    failureMode: Closed
                    rules:
                      - {name: window, algorithm: %s, limits: [{requests: 3, period: 1m}]}
                """.formatted(redis.address(), algorithm), new ManualClock(Instant.parse("2026-01-01T00:00:59.900Z")), null)).awaitRedis();

        assertThat(statuses(3)).isEqualTo("200 200 200");
        assertThat(lagging.status("/")).as("a replica 0.6 s behind, still in the previous minute").isEqualTo(429);
        assertThat(statuses(1)).isEqualTo("429");
    }
}
