package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.ConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Global rules against an in-memory store: deferral, refunds across rules, failure modes. */
class GlobalRulesTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Decision decision = new Decision();
    private final FakeStore store = new FakeStore();

    /** Counters that never refill: each key starts with its first limit's capacity. */
    static final class FakeStore implements SharedStore {
        boolean available = true;
        RuntimeException failure;
        final Map<String, long[]> units = new HashMap<>();
        int calls;

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public Function<String, SharedCounter> counters(SharedRuleSpec rule) {
            return key -> new DirectCounter((giveBack, min, max, nowNanos) -> {
                calls++;
                if (failure != null) {
                    return CompletableFuture.failedFuture(failure);
                }
                long[] pool = units.computeIfAbsent(rule.rule() + key, k -> new long[] {rule.specs()[key.charAt(0)][0].capacity()});
                pool[0] += giveBack;
                long granted = Math.min(max, pool[0]);
                granted = granted < min ? 0 : granted;
                pool[0] -= granted;
                return CompletableFuture.completedFuture(new TakeResult(granted, new long[] {pool[0]}, new long[] {0},
                        new long[] {granted > 0 || min == 0 ? 0 : 60_000_000_000L}));
            });
        }
    }

    private RateLimiter compile(String policies) throws Exception {
        return RateLimiter.compile(ConfigLoader.parse("redis: {addresses: ['redis:6379']}\n" + policies), null,
                RateLimiter.empty(clock, redis -> store), registry, clock);
    }

    private boolean decide(RateLimiter limiter, String client) {
        return limiter.decide(get("/").from(client), decision);
    }

    @Test
    void aGlobalRuleWaitsForTheStoreAfterLocalRulesHaveDecided() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: shared
                    scope: Global
                    rules:
                      - name: global
                        limits: [{requests: 5, period: 1h}]
                  - name: local
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits: [{requests: 2, period: 1h}]
                """);

        assertThat(limiter.evaluate(get("/").from("192.0.2.1"), decision)).isTrue();
        assertThat(decision.deferred()).isTrue();
        assertThat(store.calls).isZero();
        assertThat(limiter.complete(decision).join()).isTrue();

        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        // Refused by the Local rule: the store is not asked.
        assertThat(decide(limiter, "192.0.2.1")).isFalse();
        assertThat(decision.rejectedBy().rule()).isEqualTo("per-client");
        assertThat(store.calls).isEqualTo(2);
    }

    @Test
    void aGlobalRefusalGivesBackWhatLocalRulesTook() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: local
                    rules:
                      - name: per-client
                        key: [{type: ClientIP}]
                        limits: [{requests: 2, period: 1h}]
                  - name: shared
                    scope: Global
                    rules:
                      - name: global
                        limits: [{requests: 1, period: 1h}]
                """);

        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(decide(limiter, "192.0.2.1")).isFalse();
            assertThat(decision.rejectedBy().rule()).isEqualTo("global");
            assertThat(decision.retryAfterNanos()).isEqualTo(60_000_000_000L);
        }
        store.units.values().forEach(pool -> pool[0] = 10);
        // per-client still has its second request: the refusals above cost it nothing.
        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        assertThat(decide(limiter, "192.0.2.1")).isFalse();
        assertThat(decision.rejectedBy().rule()).isEqualTo("per-client");
    }

    @Test
    void openFallsBackToThisReplicasShareWhileTheStoreIsDown() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: shared
                    namespace: team-a
                    scope: Global
                    failureMode: Open
                    replicas: 4
                    rules:
                      - name: global
                        limits: [{requests: 10, period: 1h}]
                """);
        store.available = false;

        int passed = 0;
        for (int i = 0; i < 10; i++) {
            passed += decide(limiter, "192.0.2.1") ? 1 : 0;
        }

        assertThat(passed).as("ceil(10 / 4)").isEqualTo(3);
        assertThat(store.calls).isZero();
        assertThat(registry.get("rate_limit_fallback").tag("failure_mode", "Open").counter().count()).isEqualTo(10);
    }

    @Test
    void aStoreFailureAppliesTheFailureModeAndClosedRefusesAsUnavailable() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: shared
                    scope: Global
                    failureMode: Closed
                    rules:
                      - name: global
                        limits: [{requests: 10, period: 1h}]
                """);
        store.failure = new IllegalStateException("timed out");

        assertThat(decide(limiter, "192.0.2.1")).isFalse();
        assertThat(decision.unavailableRule().rule()).isEqualTo("global");
        assertThat(decision.rejected()).isFalse();

        store.failure = null;
        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        assertThat(decision.unavailableRule()).isNull();
    }

    @Test
    void shadowNeverRefusesEvenWhenClosedAndDown() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: shared
                    scope: Global
                    mode: Shadow
                    failureMode: Closed
                    rules:
                      - name: global
                        limits: [{requests: 1, period: 1h}]
                """);

        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        store.available = false;
        assertThat(decide(limiter, "192.0.2.1")).isTrue();
        assertThat(registry.get("rate_limit_shadow_rejected").counter().count()).isEqualTo(1);
    }

    @Test
    void withoutARedisSectionTheFailureModeAppliesAndTheSidecarSaysWhy() throws Exception {
        RateLimiter limiter = RateLimiter.compile(ConfigLoader.parse("""
                policies:
                  - name: shared
                    scope: Global
                    replicas: 2
                    rules:
                      - name: global
                        limits: [{requests: 4, period: 1h}]
                """), null, RateLimiter.empty(clock, redis -> store), registry, clock);

        int passed = 0;
        for (int i = 0; i < 4; i++) {
            passed += decide(limiter, "192.0.2.1") ? 1 : 0;
        }
        assertThat(passed).isEqualTo(2);
        assertThat(store.calls).isZero();
        assertThat(limiter.warnings()).anySatisfy(warning -> assertThat(warning).contains("no redis section"));
    }
}
