package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.limit.Counters.drain;
import static dev.sluice.sidecar.limit.Counters.spec;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TokenBucketCounterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void burstThenSteadyRate() {
        LimitCounter bucket = new TokenBucketCounter(spec(10, "1s", 20), clock.asTimeMeter());

        assertThat(drain(bucket, clock)).isEqualTo(20);
        clock.advance(Duration.ofMillis(100));
        assertThat(drain(bucket, clock)).isEqualTo(1);
        clock.advance(Duration.ofMillis(500));
        assertThat(drain(bucket, clock)).isEqualTo(5);
        clock.advance(Duration.ofSeconds(60));
        assertThat(drain(bucket, clock)).isEqualTo(20);
    }

    @Test
    void reportsRemainingResetAndWait() {
        LimitCounter bucket = new TokenBucketCounter(spec(10, "1s"), clock.asTimeMeter());
        Usage usage = new Usage();

        assertThat(bucket.tryConsume(4, clock.nanos(), usage)).isTrue();
        assertThat(usage.remaining()).isEqualTo(6);
        assertThat(usage.resetNanos()).isEqualTo(Duration.ofMillis(400).toNanos());

        assertThat(bucket.tryConsume(7, clock.nanos(), usage)).isFalse();
        assertThat(usage.remaining()).isEqualTo(6);
        assertThat(usage.retryAfterNanos()).isEqualTo(Duration.ofMillis(100).toNanos());
    }

    @Test
    void refundGivesTokensBack() {
        LimitCounter bucket = new TokenBucketCounter(spec(5, "1h"), clock.asTimeMeter());
        Usage usage = new Usage();
        bucket.tryConsume(5, clock.nanos(), usage);

        bucket.refund(2, clock.nanos());

        assertThat(drain(bucket, clock)).isEqualTo(2);
    }

    @Test
    void fullAgainOnceRefilled() {
        LimitCounter bucket = new TokenBucketCounter(spec(2, "1h"), clock.asTimeMeter());
        assertThat(bucket.fullAt()).isEqualTo(Long.MIN_VALUE);
        long start = clock.nanos();

        drain(bucket, clock);

        assertThat(bucket.fullAt()).isEqualTo(start + Duration.ofHours(1).toNanos());
        // Half an hour refilled one token; taking it leaves an empty bucket, an hour from full.
        clock.advance(Duration.ofMinutes(30));
        assertThat(bucket.tryConsume(1, clock.nanos(), new Usage())).isTrue();
        assertThat(bucket.fullAt()).isEqualTo(start + Duration.ofMinutes(90).toNanos());
    }
}
