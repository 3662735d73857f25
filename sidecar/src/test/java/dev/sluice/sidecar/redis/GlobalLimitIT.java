package dev.sluice.sidecar.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.limit.ManualClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Global limits through a real redis-server on a loopback port, enforced by real sidecars. */
class GlobalLimitIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final String FALLBACK = "rate_limit_fallback_total{failure_mode=\"%s\",policy=\"team-a/api\",rule=\"shared\"}";

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    static String config(String redis, String policy, String limits) {
        return """
                redis:
                  # Generous for a loaded test machine; production keeps the 100ms default.
                  timeout: 2s
                  %s
                policies:
                  - name: api
                    namespace: team-a
                    scope: Global
                    %s
                    rules:
                      - name: shared
                        limits: [%s]
                """.formatted(redis.replace("\n", "\n  "), policy.replace("\n", "\n    "), limits);
    }

    @ParameterizedTest(name = "strategy {0}")
    @ValueSource(strings = {"Lease", "Script", "Bucket4j"})
    void threeReplicasAdmitTogetherWhatTheSharedLimitAllows(String strategy) throws Exception {
        RedisServer redis = closer.keep(RedisServer.start(directory.resolve("redis")));
        ManualClock clock = new ManualClock(START);
        // 600 per minute (10/s); Lease may hold 10% of it: 20 per replica.
        String config = config("addresses: [" + redis.address() + "]\nstrategy: " + strategy + "\nleasePercent: 10",
                "failureMode: Closed\nreplicas: 3", "{requests: 600, period: 1m}");
        List<Replica> replicas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replicas.add(closer.keep(Replica.start(directory.resolve("replica-" + i), config, clock, null)).awaitRedis());
        }

        // The same fixed pattern for every strategy: 250 requests per replica in turn, then 10 s later 50 more each.
        long admitted = roundRobin(replicas, 250);
        clock.advance(Duration.ofSeconds(10));
        admitted += roundRobin(replicas, 50);

        long allowed = 600 + 100;
        assertThat((double) admitted).as("admitted by three replicas sharing one limit of %d", allowed)
                .isBetween(allowed * 0.99, allowed * 1.01);
        assertThat(redis.keys()).singleElement().asString().startsWith("sluice:{team-a/api/shared:");
    }

    /** Sends {@code perReplica} requests to each replica in turn; returns how many passed. Every answer is 200 or 429. */
    private static long roundRobin(List<Replica> replicas, int perReplica) {
        long admitted = 0;
        for (int i = 0; i < perReplica; i++) {
            for (Replica replica : replicas) {
                int status = replica.status("/");
                assertThat(status).isIn(200, 429);
                admitted += status == 200 ? 1 : 0;
            }
        }
        return admitted;
    }

    @Test
    void redisStoppedMidTrafficFallsBackToTheLocalShareAndComesBack() throws Exception {
        RedisServer redis = closer.keep(RedisServer.start(directory.resolve("redis")));
        ManualClock clock = new ManualClock(START);
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                config("addresses: [" + redis.address() + "]", "failureMode: Open\nreplicas: 4", "{requests: 100, period: 1h}"), clock, null))
                .awaitRedis();
        for (int i = 0; i < 10; i++) {
            assertThat(replica.status("/")).isEqualTo(200);
        }
        assertThat(redis.calls("evalsha") + redis.calls("eval")).isPositive();

        redis.stop();
        // Open: this replica's share of 100 per hour among 4 replicas is 25, counted locally; never a 5xx.
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            statuses.add(replica.status("/"));
        }
        assertThat(statuses).allMatch(status -> status == 200 || status == 429);
        assertThat(statuses.stream().filter(status -> status == 200).count()).isEqualTo(25);
        assertThat(replica.get("/").headers().firstValue("RateLimit-Policy")).hasValue("\"shared-1h\";q=25;w=3600");
        assertThat(replica.metric(FALLBACK.formatted("Open"))).isGreaterThanOrEqualTo(40);
        assertThat(replica.metric("rate_limit_store_available")).isZero();

        redis.restart();
        // Redis came back empty: once the sidecar is reconnected, the shared limit (100) counts again from Redis.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            replica.status("/");
            return redis.calls("evalsha") + redis.calls("eval") > 0;
        });
        double fallbacks = replica.metric(FALLBACK.formatted("Open"));
        HttpResponse<String> shared = replica.get("/");
        assertThat(shared.statusCode()).isEqualTo(200);
        assertThat(shared.headers().firstValue("RateLimit-Policy")).hasValue("\"shared-1h\";q=100;w=3600");
        assertThat(replica.metric(FALLBACK.formatted("Open"))).isEqualTo(fallbacks);
        assertThat(replica.metric("rate_limit_store_available")).isEqualTo(1);
    }

    @Test
    void closedAnswers503WithAReasonWhileRedisIsDown() throws Exception {
        RedisServer redis = closer.keep(RedisServer.start(directory.resolve("redis")));
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                config("addresses: [" + redis.address() + "]", "failureMode: Closed", "{requests: 100, period: 1h}"),
                new ManualClock(START), null)).awaitRedis();
        assertThat(replica.status("/")).isEqualTo(200);

        redis.stop();
        HttpResponse<String> refused = replica.get("/");

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.body()).contains("\"error\":\"rate_limit_store_unavailable\"", "\"policy\":\"team-a/api\"",
                "\"rule\":\"shared\"", "fails closed");
        assertThat(replica.upstream.requests.get()).isEqualTo(1);
        assertThat(replica.metric(FALLBACK.formatted("Closed"))).isEqualTo(1);
    }

    @Test
    void wrongPasswordIsReportedAtStartAndByReadiness() throws Exception {
        RedisServer redis = closer.keep(RedisServer.start(directory.resolve("redis"), "--requirepass", "the-right-one"));
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                config("addresses: [" + redis.address() + "]", "failureMode: Open", "{requests: 100, period: 1h}"),
                new ManualClock(START), RedisPassword.of("a-wrong-one")));

        HttpResponse<String> ready = replica.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        JsonNode body = replica.adminJson("/readyz");
        assertThat(body.path("ready").asBoolean()).isFalse();
        assertThat(body.path("reason").asText())
                .contains("Redis at " + redis.address() + " refused the credentials of user 'default'")
                .contains("WRONGPASS")
                .contains("SLUICE_REDIS_PASSWORD")
                .doesNotContain("a-wrong-one");
        assertThat(replica.sidecar.redisStores().current().health().state()).isEqualTo(RedisStore.State.AUTH_FAILED);
        // Open meanwhile: traffic is limited locally rather than refused.
        assertThat(replica.status("/")).isEqualTo(200);
        assertThat(replica.metric("rate_limit_store_errors_total{reason=\"auth\"}")).isPositive();
    }

    @Test
    void rightPasswordFromAFileConnects() throws Exception {
        RedisServer redis = closer.keep(RedisServer.start(directory.resolve("redis"), "--requirepass", "s3cret"));
        Path password = directory.resolve("password");
        java.nio.file.Files.writeString(password, "s3cret\n");
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                config("addresses: [" + redis.address() + "]\npasswordFile: " + password, "failureMode: Closed",
                        "{requests: 2, period: 1h}"),
                new ManualClock(START), RedisPassword.of("ignored-when-a-file-is-named"))).awaitRedis();

        assertThat(replica.admin("/readyz").statusCode()).isEqualTo(200);
        assertThat(List.of(replica.status("/"), replica.status("/"), replica.status("/"))).containsExactly(200, 200, 429);
    }
}
