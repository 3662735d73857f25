package dev.sluice.sidecar.limit;

import io.github.bucket4j.TimeMeter;

/**
 * The time every limiter reads, in nanoseconds since the Unix epoch, so that algorithms are tested
 * without sleeping and calendar windows align with the wall clock.
 */
@FunctionalInterface
public interface LimiterClock {
    LimiterClock SYSTEM = () -> System.currentTimeMillis() * 1_000_000L;

    long nanos();

    /** This clock as Bucket4j's time source, so that buckets, local or in Redis, read the same time. */
    default TimeMeter asTimeMeter() {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return nanos();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }
}
