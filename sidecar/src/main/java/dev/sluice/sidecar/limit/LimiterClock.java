package dev.sluice.sidecar.limit;

/**
 * The time every limiter reads, in nanoseconds since the Unix epoch, so that algorithms are tested
 * without sleeping and calendar windows align with the wall clock.
 */
@FunctionalInterface
public interface LimiterClock {
    LimiterClock SYSTEM = () -> System.currentTimeMillis() * 1_000_000L;

    long nanos();
}
