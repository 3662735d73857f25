package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.Algorithm;
import dev.sluice.sidecar.match.RequestView;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a rule remembers of its clients: never less than what their limits still hold against them. */
class KeyRetentionTest {
    private static final String EXHAUSTED = "192.0.2.1";

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Decision decision = new Decision();

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aClientWhoIdlesPastIdleTimeoutIsStillRefused(Algorithm algorithm) throws Exception {
        RateLimiter limiter = perClient(1_000, algorithm, "{requests: 2, period: 1h}");
        assertThat(passes(limiter, EXHAUSTED, 3)).isEqualTo(2);

        clock.advance(Duration.ofMinutes(11));
        limiter.cleanUp();

        assertThat(keys()).as("keys after idling past idleTimeout with an exhausted quota").isEqualTo(1);
        assertThat(passes(limiter, EXHAUSTED, 1)).isZero();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aKeyFullAgainIsDropped(Algorithm algorithm) throws Exception {
        RateLimiter limiter = perClient(1_000, algorithm, "{requests: 2, period: 1h}");
        passes(limiter, EXHAUSTED, 2);

        // Every algorithm is full again two periods after its last take (a sliding window's last
        // count slides out by then), and the key has been unseen for longer than idleTimeout.
        clock.advance(Duration.ofHours(2).plusMinutes(11));
        limiter.cleanUp();

        assertThat(keys()).isZero();
        assertThat(evicted("idle")).isEqualTo(1);
        assertThat(passes(limiter, EXHAUSTED, 3)).isEqualTo(2);
    }

    @Test
    void aFloodOfTenTimesTheCapNeverGivesAnExhaustedClientOneMoreRequest() throws Exception {
        RateLimiter limiter = perClient(100, Algorithm.TokenBucket, "{requests: 2, period: 1h}");
        assertThat(passes(limiter, EXHAUSTED, 3)).isEqualTo(2);

        int newcomersServed = 0;
        for (int i = 0; i < 1_000; i++) {
            passes(limiter, "10.0." + (i / 256) + "." + (i % 256), 1);
            if (i % 100 == 50) {
                newcomersServed += passes(limiter, "198.51.100." + i / 100, 1);
            }
        }
        limiter.cleanUp();

        assertThat(passes(limiter, EXHAUSTED, 1)).as("requests of the exhausted client after the flood").isZero();
        // New clients are still served in the middle of the flood (counted in the rule's overflow
        // shares while every kept key is still limited), not all refused.
        assertThat(newcomersServed).as("new clients served among 10 arriving mid-flood").isGreaterThanOrEqualTo(5);
        assertThat(keys()).isLessThanOrEqualTo(100);
        assertThat(evicted("cap")).as("keys dropped at the cap while every key was still limited").isZero();
    }

    @Test
    void atTheCapKeysFullAgainMakeRoomForNewOnes() throws Exception {
        RateLimiter limiter = perClient(100, Algorithm.TokenBucket, "{requests: 1000, period: 1s}");
        for (int i = 0; i < 100; i++) {
            passes(limiter, "10.0.0." + i, 1);
        }
        // A thousandth of a second later each of them is full again, though far from idle.
        clock.advance(Duration.ofMillis(5));

        for (int i = 0; i < 100; i++) {
            assertThat(passes(limiter, "10.0.1." + i, 1000)).isEqualTo(1000);
        }
        limiter.cleanUp();

        assertThat(keys()).isEqualTo(100);
        assertThat(evicted("cap")).isEqualTo(100);
    }

    private RateLimiter perClient(long maxKeys, Algorithm algorithm, String limit) throws Exception {
        return PerClientLimiter.inForce(maxKeys, algorithm, limit, registry, clock);
    }

    private int passes(RateLimiter limiter, String client, int attempts) {
        RequestView request = get("/").from(client);
        int passed = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.decide(request, decision)) {
                passed++;
            }
        }
        return passed;
    }

    private double keys() {
        return registry.get("rate_limit_keys").tag("rule", "per-client").gauge().value();
    }

    private double evicted(String reason) {
        FunctionCounter counter = registry.find("rate_limit_keys_evicted").tag("rule", "per-client").tag("reason", reason).functionCounter();
        assertThat(counter).as("rate_limit_keys_evicted{reason=%s}", reason).isNotNull();
        return counter.count();
    }
}
