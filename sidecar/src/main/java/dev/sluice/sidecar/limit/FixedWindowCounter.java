package dev.sluice.sidecar.limit;

/** At most {@code requests} per window; the count starts again at each window boundary. */
final class FixedWindowCounter implements LimitCounter {
    private final long limit;
    private final WindowCalendar calendar;
    private final long[] bounds = new long[2];
    private long count;

    FixedWindowCounter(LimitSpec spec, WindowCalendar calendar) {
        this.limit = spec.requests();
        this.calendar = calendar;
        this.bounds[1] = Long.MIN_VALUE;
    }

    @Override
    public synchronized boolean tryConsume(long cost, long nowNanos, Usage usage) {
        roll(nowNanos);
        long untilEnd = bounds[1] - nowNanos;
        if (count + cost <= limit) {
            count += cost;
            usage.set(limit - count, untilEnd, 0);
            return true;
        }
        usage.set(limit - count, untilEnd, untilEnd);
        return false;
    }

    @Override
    public synchronized void refund(long cost, long nowNanos) {
        if (nowNanos < bounds[1]) {
            count = Math.max(0, count - cost);
        }
    }

    @Override
    public synchronized long fullAt() {
        return count > 0 ? bounds[1] : Long.MIN_VALUE;
    }

    private void roll(long nowNanos) {
        if (nowNanos >= bounds[1] || nowNanos < bounds[0]) {
            calendar.windowAt(nowNanos, bounds);
            count = 0;
        }
    }
}
