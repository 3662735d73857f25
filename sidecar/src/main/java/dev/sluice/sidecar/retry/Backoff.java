package dev.sluice.sidecar.retry;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before retry {@code n} (1 for the first retry) the ceiling is
 * {@code base · 2^(n-1)}, capped at {@code max}; with jitter the wait is drawn uniformly below the
 * ceiling (AWS's "full jitter", which spreads synchronised clients best), else it is the ceiling.
 */
public record Backoff(Duration base, Duration max, boolean jitter) {
    /** 100 ms, 200 ms, 400 ms, … at most 3.2 s. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofMillis(3200), true);

    /** The ceiling before retry {@code retry} (1-based), without jitter. */
    public long ceilingNanos(int retry) {
        long base = this.base.toNanos();
        long max = this.max.toNanos();
        int doublings = Math.max(0, retry - 1);
        if (doublings >= 62 || base > (max >> doublings)) {
            return max;
        }
        return Math.min(max, base << doublings);
    }

    /** The wait before retry {@code retry}; {@code random} gives a number in [0, 1). */
    public long delayNanos(int retry, DoubleSupplier random) {
        long ceiling = ceilingNanos(retry);
        return jitter ? (long) (random.getAsDouble() * ceiling) : ceiling;
    }
}
