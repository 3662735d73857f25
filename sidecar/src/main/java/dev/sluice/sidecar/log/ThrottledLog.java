package dev.sluice.sidecar.log;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lets a recurring event (a refused request, a decision made without the shared store) be logged at
 * most once per interval, never once per request, with how many times it happened since the last
 * line. The caller reads its injected clock and writes the line itself, at its own level and in its
 * own words, only when {@link #due} says so: an event that is not logged costs a counter increment and
 * allocates nothing.
 */
public final class ThrottledLog {
    public static final long INTERVAL_NANOS = 10_000_000_000L;
    /** The interval as a log line says it. */
    public static final long INTERVAL_SECONDS = INTERVAL_NANOS / 1_000_000_000L;

    private final AtomicLong nextLineAt = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder sinceLastLine = new LongAdder();

    /**
     * Counts one event at {@code nowNanos}.
     *
     * @return the events since the last line, this one included, when a line is due now (the first
     *     event is always logged); -1 when it is not
     */
    public long due(long nowNanos) {
        sinceLastLine.increment();
        long next = nextLineAt.get();
        if (nowNanos < next || !nextLineAt.compareAndSet(next, nowNanos + INTERVAL_NANOS)) {
            return -1;
        }
        return sinceLastLine.sumThenReset();
    }
}
