package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.limit.Counters.drain;
import static dev.sluice.sidecar.limit.Counters.spec;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SlidingWindowCounterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void previousWindowWeighsByItsOverlap() {
        LimitCounter window = new SlidingWindowCounter(spec(10, "1s"));

        assertThat(drain(window, clock)).isEqualTo(10);
        clock.advance(Duration.ofSeconds(1));
        // The sliding window still covers all of the previous window: nothing fits.
        assertThat(drain(window, clock)).isZero();
        clock.advance(Duration.ofMillis(500));
        // Half of the previous window's 10 still count.
        assertThat(drain(window, clock)).isEqualTo(5);
        clock.advance(Duration.ofSeconds(2));
        assertThat(drain(window, clock)).isEqualTo(10);
    }

    @Test
    void noBurstAcrossTheBoundaryUnlikeAFixedWindow() {
        LimitCounter window = new SlidingWindowCounter(spec(10, "1s"));
        clock.advance(Duration.ofMillis(900));
        assertThat(drain(window, clock)).isEqualTo(10);

        clock.advance(Duration.ofMillis(200));

        // 0.1s into the next window, 90% of the previous 10 still count.
        assertThat(drain(window, clock)).isEqualTo(1);
    }

    @Test
    void retryAfterIsWhenTheRequestFits() {
        LimitCounter window = new SlidingWindowCounter(spec(10, "1s"));
        Usage usage = new Usage();
        drain(window, clock);

        assertThat(window.tryConsume(1, clock.nanos(), usage)).isFalse();
        long wait = usage.retryAfterNanos();
        assertThat(wait).isEqualTo(Duration.ofMillis(1100).toNanos());

        clock.advance(Duration.ofNanos(wait));
        assertThat(window.tryConsume(1, clock.nanos(), usage)).isTrue();
    }

    @Test
    void refundAndRemaining() {
        LimitCounter window = new SlidingWindowCounter(spec(10, "1m"));
        Usage usage = new Usage();
        window.tryConsume(3, clock.nanos(), usage);
        assertThat(usage.remaining()).isEqualTo(7);

        window.refund(3, clock.nanos());

        assertThat(drain(window, clock)).isEqualTo(10);
    }

    @Test
    void fullAgainOnceTheLastCountSlidesOut() {
        LimitCounter window = new SlidingWindowCounter(spec(10, "1m"));
        assertThat(window.fullAt()).isEqualTo(Long.MIN_VALUE);
        long windowStart = clock.nanos();

        drain(window, clock);
        assertThat(window.fullAt()).isEqualTo(windowStart + Duration.ofMinutes(2).toNanos());

        // Nothing counted in the next window: only the previous one's count is left, gone a period later.
        clock.advance(Duration.ofSeconds(90));
        window.refund(0, clock.nanos());
        assertThat(window.fullAt()).isEqualTo(windowStart + Duration.ofMinutes(2).toNanos());
    }
}
