package dev.sluice.sidecar.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.breaker.TimeSource;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StoreBreakerTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong();
    private final StoreBreaker breaker = new StoreBreaker(3, Duration.ofSeconds(1), Duration.ofSeconds(8), new TimeSource(now::get));

    @Test
    void opensAfterFailuresInARowAndLetsOneProbeThroughAfterTheBackoff() {
        breaker.failed();
        breaker.succeeded();
        breaker.failed();
        breaker.failed();
        assertThat(breaker.state()).as("a success in between starts the count again").isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.failed();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allowsCall()).isFalse();

        now.addAndGet(SECOND * 13 / 10);
        assertThat(breaker.allowsCall()).isTrue();
        assertThat(breaker.allowsCall()).as("one probe at a time").isFalse();
        breaker.succeeded();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allowsCall()).isTrue();
    }

    @Test
    void aFailedProbeDoublesTheBackoffUpToItsMaximum() {
        for (int i = 0; i < 3; i++) {
            breaker.failed();
        }
        long backoff = SECOND;
        for (int probe = 0; probe < 5; probe++) {
            now.addAndGet(backoff * 12 / 10 + 1);
            assertThat(breaker.allowsCall()).isTrue();
            breaker.failed();
            backoff = Math.min(8 * SECOND, backoff * 2);
            now.addAndGet(backoff * 8 / 10 - 1);
            assertThat(breaker.allowsCall()).as("still backing off after probe %d", probe).isFalse();
            now.addAndGet(-(backoff * 8 / 10 - 1));
        }
    }
}
