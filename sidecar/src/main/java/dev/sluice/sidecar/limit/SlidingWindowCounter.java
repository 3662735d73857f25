package dev.sluice.sidecar.limit;

/**
 * Sliding window counter, as Envoy, Kong and Cloudflare count: the estimate over the last period is
 * the current window's count plus the previous window's count weighted by how much of it the sliding
 * window still covers. Two numbers per key instead of a log of timestamps; it assumes requests in the
 * previous window were spread evenly.
 */
final class SlidingWindowCounter implements LimitCounter {
    private final long limit;
    private final long periodNanos;
    private long windowStart = Long.MIN_VALUE;
    private long current;
    private long previous;

    SlidingWindowCounter(LimitSpec spec) {
        this.limit = spec.requests();
        this.periodNanos = spec.parsedPeriod().duration().toNanos();
    }

    @Override
    public synchronized boolean tryConsume(long cost, long nowNanos, Usage usage) {
        roll(nowNanos);
        long elapsed = nowNanos - windowStart;
        double previousWeight = 1.0 - (double) elapsed / periodNanos;
        double estimate = previous * previousWeight + current;
        if (estimate + cost <= limit) {
            current += cost;
            double after = estimate + cost;
            usage.set((long) Math.floor(limit - after), nanosUntilEmpty(elapsed), 0);
            return true;
        }
        usage.set((long) Math.floor(limit - estimate), nanosUntilEmpty(elapsed), nanosUntilRoom(cost, elapsed));
        return false;
    }

    @Override
    public synchronized void refund(long cost, long nowNanos) {
        roll(nowNanos);
        current = Math.max(0, current - cost);
    }

    /** When the last request counted has slid out of the window: the end of the window after the one it fell in. */
    @Override
    public synchronized long fullAt() {
        if (current > 0) {
            return windowStart + 2 * periodNanos;
        }
        return previous > 0 ? windowStart + periodNanos : Long.MIN_VALUE;
    }

    private void roll(long nowNanos) {
        long start = nowNanos - Math.floorMod(nowNanos, periodNanos);
        if (start == windowStart) {
            return;
        }
        previous = start - windowStart == periodNanos ? current : 0;
        current = 0;
        windowStart = start;
    }

    /** When every request counted now has slid out: the end of the next window. */
    private long nanosUntilEmpty(long elapsed) {
        if (current == 0 && previous == 0) {
            return 0;
        }
        return current == 0 ? periodNanos - elapsed : 2 * periodNanos - elapsed;
    }

    /** How long until {@code cost} more fits under the estimate. */
    private long nanosUntilRoom(long cost, long elapsed) {
        long room = limit - cost - current;
        if (room >= 0 && previous > 0) {
            // previous * (1 - (elapsed + wait) / period) + current + cost <= limit
            double wait = periodNanos * (1.0 - (double) room / previous) - elapsed;
            return Math.max(1, (long) Math.ceil(wait));
        }
        // Not before the next window, where this window's count becomes the weighted previous one.
        long untilNext = periodNanos - elapsed;
        long roomNext = limit - cost;
        if (current == 0 || roomNext >= current) {
            return untilNext;
        }
        double waitInNext = periodNanos * (1.0 - (double) roomNext / current);
        return untilNext + (long) Math.ceil(waitInNext);
    }
}
