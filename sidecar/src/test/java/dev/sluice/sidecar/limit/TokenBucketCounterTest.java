package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.limit.Counters.drain;
import static dev.sluice.sidecar.limit.Counters.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenBucketCounterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void burstThenSteadyRate() {
        LimitCounter bucket = new TokenBucketCounter(spec(10, "1s", 20));

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
        LimitCounter bucket = new TokenBucketCounter(spec(10, "1s"));
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
        LimitCounter bucket = new TokenBucketCounter(spec(5, "1h"));
        Usage usage = new Usage();
        bucket.tryConsume(5, clock.nanos(), usage);

        bucket.refund(2, clock.nanos());

        assertThat(drain(bucket, clock)).isEqualTo(2);
    }

    @Test
    void fullAgainOnceRefilled() {
        LimitCounter bucket = new TokenBucketCounter(spec(2, "1h"));
        assertThat(bucket.fullAt()).isEqualTo(Long.MIN_VALUE);
        long start = clock.nanos();

        drain(bucket, clock);

        assertThat(bucket.fullAt()).isEqualTo(start + Duration.ofHours(1).toNanos());
        // Half an hour refilled one token; taking it leaves an empty bucket, an hour from full.
        clock.advance(Duration.ofMinutes(30));
        assertThat(bucket.tryConsume(1, clock.nanos(), new Usage())).isTrue();
        assertThat(bucket.fullAt()).isEqualTo(start + Duration.ofMinutes(90).toNanos());
    }

    /**
     * The same requests, refunds and clock steps against this counter and Bucket4j's local bucket (what
     * Global rules count with in Redis, and what this counter replaced): every answer, remaining count,
     * reset and wait is the same, including fractions of a token carried between calls and the
     * floating-point fallback of huge limits.
     */
    @ParameterizedTest
    @CsvSource({"10, 1s, 20", "7, 1m, 7", "3, 1h, 5", "1, 1h, 1", "1000000000, 1s, 1000000000", "1000000000000, 1h, 1000000000000",
            "5, 1d, 9"})
    void countsAsBucket4jDoes(long requests, String period, long burst) {
        LimitSpec spec = spec(requests, period, burst);
        LimitCounter ours = new TokenBucketCounter(spec);
        Bucket bucket4j = Bucket.builder()
                .addLimit(limit -> limit.capacity(spec.capacity()).refillGreedy(spec.requests(), spec.parsedPeriod().duration()))
                .withCustomTimePrecision(clock.asTimeMeter())
                .withSynchronizationStrategy(SynchronizationStrategy.NONE)
                .build();
        long periodNanos = spec.parsedPeriod().duration().toNanos();
        long tokenNanos = Math.max(1, periodNanos / requests);
        Random random = new Random(requests * 31 + burst);
        Usage usage = new Usage();
        for (int step = 0; step < 20_000; step++) {
            int move = random.nextInt(100);
            if (move < 40) {
                // Up to three tokens' worth, at any fraction; now and then several periods.
                long nanos = move == 0 ? periodNanos * (1 + random.nextInt(3)) + random.nextInt(1000) : (long) (random.nextDouble() * 3 * tokenNanos);
                clock.advance(Duration.ofNanos(nanos));
            }
            long cost = 1 + random.nextInt(3);
            boolean passed = ours.tryConsume(cost, clock.nanos(), usage);
            ConsumptionProbe probe = bucket4j.tryConsumeAndReturnRemaining(cost);
            String at = "step " + step + ", cost " + cost;
            assertThat(passed).as(at).isEqualTo(probe.isConsumed());
            assertThat(usage.remaining()).as(at + ": remaining").isEqualTo(probe.getRemainingTokens());
            assertThat(usage.resetNanos()).as(at + ": reset").isEqualTo(probe.getNanosToWaitForReset());
            assertThat(usage.retryAfterNanos()).as(at + ": wait").isEqualTo(probe.getNanosToWaitForRefill());
            if (passed && random.nextInt(10) == 0) {
                ours.refund(cost, clock.nanos());
                bucket4j.addTokens(cost);
            }
        }
    }
}
