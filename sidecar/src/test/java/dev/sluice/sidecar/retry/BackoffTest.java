package dev.sluice.sidecar.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.RetryConfig;
import dev.sluice.sidecar.limit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final long MS = 1_000_000L;

    @Test
    void doublesFromTheBaseUpToTheCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(3200), false);
        List<Long> delays = new ArrayList<>();
        for (int retry = 1; retry <= 8; retry++) {
            delays.add(backoff.delayNanos(retry, () -> 0.99) / MS);
        }
        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 3200L, 3200L);
    }

    @Test
    void fullJitterDrawsBelowTheCeiling() {
        Backoff backoff = Backoff.DEFAULT;
        assertThat(backoff.delayNanos(1, () -> 0.0)).isZero();
        assertThat(backoff.delayNanos(1, () -> 0.5)).isEqualTo(50 * MS);
        assertThat(backoff.delayNanos(3, () -> 0.25)).isEqualTo(100 * MS);
        assertThat(backoff.delayNanos(10, () -> 0.5)).isEqualTo(1600 * MS);
    }

    @Test
    void neverOverflowsForLateRetries() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), false);
        assertThat(backoff.ceilingNanos(200)).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @Test
    void defaultsAreHundredMillisecondsToThreePointTwoSeconds() {
        RetryRules rules = new RetryRules(RetryConfig.defaults(), new ManualClock(Instant.EPOCH), () -> 0.999_999);
        assertThat(rules.delayNanos(1) / MS).isEqualTo(99);
        assertThat(rules.delayNanos(6) / MS).isEqualTo(3199);
        assertThat(rules.delayNanos(7) / MS).isEqualTo(3199);
        assertThat(rules.maxAttempts()).isEqualTo(3);
    }
}
