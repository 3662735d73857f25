package dev.sluice.sidecar.backpressure;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs a recurring event at most once per interval, with how many times it happened since the last line. */
public final class ThrottledLog {
    private static final long INTERVAL_NANOS = 10_000_000_000L;

    private final Logger log;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);

    public ThrottledLog(Logger log) {
        this.log = log;
    }

    /** Counts one event and logs {@code message} (with the count as its first argument) if the interval has passed. */
    public void warn(String message, Object... arguments) {
        count.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= INTERVAL_NANOS && lastLogged.compareAndSet(last, now)) {
            Object[] withCount = new Object[arguments.length + 1];
            withCount[0] = count.getAndSet(0);
            System.arraycopy(arguments, 0, withCount, 1, arguments.length);
            log.warn(message, withCount);
        }
    }
}
