package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.limit.Counters.drain;
import static dev.sluice.sidecar.limit.Counters.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.LimitPeriod;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class FixedWindowCounterTest {

    @Test
    void resetsAtTheBoundary() {
        ManualClock clock = new ManualClock(Instant.parse("2026-03-10T12:00:59.500Z"));
        LimitCounter counter = counter(spec(3, "1m"), ZoneOffset.UTC);
        Usage usage = new Usage();

        assertThat(drain(counter, clock)).isEqualTo(3);
        assertThat(counter.tryConsume(1, clock.nanos(), usage)).isFalse();
        assertThat(usage.retryAfterNanos()).isEqualTo(Duration.ofMillis(500).toNanos());

        clock.advance(Duration.ofMillis(500));
        assertThat(drain(counter, clock)).isEqualTo(3);
    }

    @Test
    void dailyQuotaResetsAtLocalMidnight() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        // 22:59 UTC is 23:59 in Paris in winter.
        ManualClock clock = new ManualClock(Instant.parse("2026-01-15T22:59:00Z"));
        LimitCounter counter = counter(spec(2, "1d"), paris);
        Usage usage = new Usage();

        assertThat(drain(counter, clock)).isEqualTo(2);
        assertThat(counter.tryConsume(1, clock.nanos(), usage)).isFalse();
        assertThat(usage.retryAfterNanos()).isEqualTo(Duration.ofMinutes(1).toNanos());

        clock.advance(Duration.ofMinutes(1));
        assertThat(drain(counter, clock)).isEqualTo(2);
    }

    @Test
    void monthlyQuotaFollowsTheCalendar() {
        ManualClock clock = new ManualClock(Instant.parse("2026-02-27T10:00:00Z"));
        LimitCounter counter = counter(new LimitSpec("m", 5, "1mo", LimitPeriod.parse("1mo"), 5, ""), ZoneOffset.UTC);
        Usage usage = new Usage();

        assertThat(drain(counter, clock)).isEqualTo(5);
        counter.tryConsume(1, clock.nanos(), usage);
        // February 2026 has 28 days: the quota comes back on March 1st.
        assertThat(usage.retryAfterNanos()).isEqualTo(Duration.ofDays(1).plusHours(14).toNanos());

        clock.advance(Duration.ofDays(1).plusHours(14));
        assertThat(drain(counter, clock)).isEqualTo(5);
    }

    private static LimitCounter counter(LimitSpec spec, ZoneId zone) {
        return new FixedWindowCounter(spec, new WindowCalendar(spec.parsedPeriod(), zone));
    }

    @Test
    void fullAgainAtTheEndOfTheWindow() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-15T10:30:00Z"));
        LimitCounter counter = counter(spec(2, "1d"), ZoneOffset.UTC);
        assertThat(counter.fullAt()).isEqualTo(Long.MIN_VALUE);

        drain(counter, clock);

        Instant midnight = Instant.parse("2026-01-16T00:00:00Z");
        assertThat(counter.fullAt()).isEqualTo(midnight.getEpochSecond() * 1_000_000_000L);
    }
}
