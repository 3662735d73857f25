package dev.sluice.sidecar.breaker;

import dev.sluice.sidecar.limit.LimiterClock;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The sidecar's one time source ({@link LimiterClock}, nanoseconds since the epoch) seen as a
 * {@link Clock}, so that Resilience4j's state machine reads the same time as the limiters and moves
 * only when a test's manual clock does.
 */
public final class TimeSource extends Clock {
    private final LimiterClock clock;

    public TimeSource(LimiterClock clock) {
        this.clock = clock;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public long millis() {
        return clock.nanos() / 1_000_000L;
    }

    @Override
    public Instant instant() {
        long nanos = clock.nanos();
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
