package dev.sluice.sidecar.backpressure;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.LimitPeriod;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A policy's cap on requests in flight, without threads: a request is admitted, told to wait (it
 * then waits as a parked callback, holding no thread), or refused. The limit is the fixed
 * {@code maxConcurrent}, the adaptive limit, or the lower of the two. Priorities shed in order: a
 * request whose priority sheds at {@code p}% is refused while {@code inFlight ≥ p% · limit}; only a
 * priority that sheds at 100% may wait in the queue when the gate is full, and waiters are admitted
 * highest priority first, then first come first served.
 */
public final class ConcurrencyGate {
    /** What became of a request at the gate. */
    public enum Outcome {
        ADMITTED, WOULD_QUEUE, QUEUED, SHED, QUEUE_FULL
    }

    /** A request waiting for a slot; {@link #admitted()} is called once, outside the gate's lock, when it gets one. */
    public interface Waiter {
        void admitted();
    }

    private final String policy;
    private final BackpressureConfig config;
    private final int maxConcurrent;
    private final int queueSize;
    private final long maxWaitNanos;
    private final Priorities priorities;
    private final AdaptiveLimit adaptive;
    private final ArrayDeque<Waiter>[] queues;
    private volatile int inFlight;
    private volatile int queued;

    @SuppressWarnings("unchecked")
    public ConcurrencyGate(String policy, BackpressureConfig config) {
        this.policy = policy;
        this.config = config;
        ConcurrencyConfig concurrency = config.concurrency();
        this.maxConcurrent = concurrency == null ? Integer.MAX_VALUE : concurrency.maxConcurrent();
        this.queueSize = concurrency == null ? 0 : concurrency.queueSize();
        this.maxWaitNanos = concurrency == null ? 0 : LimitPeriod.parseDuration(concurrency.maxWait()).toNanos();
        this.priorities = Priorities.of(config.shedding());
        this.adaptive = config.adaptive() == null ? null : AdaptiveLimit.of(config.adaptive());
        this.queues = new ArrayDeque[priorities.size()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new ArrayDeque<>();
        }
    }

    /** Admits the request now if it may pass; never queues it ({@link Outcome#WOULD_QUEUE} instead). */
    public synchronized Outcome tryAcquire(Priorities.Priority priority) {
        return decide(priority, null);
    }

    /** Admits the request now, or parks {@code waiter} in the queue, or refuses. */
    public synchronized Outcome acquireOrQueue(Priorities.Priority priority, Waiter waiter) {
        return decide(priority, waiter);
    }

    private Outcome decide(Priorities.Priority priority, Waiter waiter) {
        int limit = limit();
        if (inFlight < limit && (long) inFlight * 100 < (long) limit * priority.shedAtPercent()) {
            inFlight++;
            return Outcome.ADMITTED;
        }
        if (priority.shedAtPercent() < 100) {
            return Outcome.SHED;
        }
        if (queued >= queueSize) {
            return Outcome.QUEUE_FULL;
        }
        if (waiter == null) {
            return Outcome.WOULD_QUEUE;
        }
        queues[priority.rank()].addLast(waiter);
        queued++;
        return Outcome.QUEUED;
    }

    /** Takes a waiter out of the queue (its wait is over); false if it was admitted meanwhile. */
    public synchronized boolean cancel(Priorities.Priority priority, Waiter waiter) {
        if (queues[priority.rank()].remove(waiter)) {
            queued--;
            return true;
        }
        return false;
    }

    /**
     * A request admitted at {@code startNanos} (when {@code inFlightAtStart} were in flight) finished
     * after {@code rttNanos}; {@code dropped} when it timed out or was refused upstream. Frees its slot
     * and admits waiters while there is room.
     */
    public void release(long startNanos, long rttNanos, int inFlightAtStart, boolean dropped) {
        if (adaptive != null) {
            adaptive.onSample(startNanos, rttNanos, inFlightAtStart, dropped);
        }
        List<Waiter> admitted = null;
        synchronized (this) {
            inFlight--;
            int limit = limit();
            while (queued > 0 && inFlight < limit) {
                Waiter next = pollHighest();
                inFlight++;
                queued--;
                if (admitted == null) {
                    admitted = new ArrayList<>(2);
                }
                admitted.add(next);
            }
        }
        if (admitted != null) {
            admitted.forEach(Waiter::admitted);
        }
    }

    private Waiter pollHighest() {
        for (int rank = queues.length - 1; rank >= 0; rank--) {
            Waiter waiter = queues[rank].pollFirst();
            if (waiter != null) {
                return waiter;
            }
        }
        throw new IllegalStateException("queued > 0 but every queue is empty");
    }

    /** The limit in force: the fixed cap, the adaptive limit, or the lower of the two. */
    public int limit() {
        return adaptive == null ? maxConcurrent : Math.min(maxConcurrent, adaptive.limit());
    }

    public int inFlight() {
        return inFlight;
    }

    public int queued() {
        return queued;
    }

    public long maxWaitNanos() {
        return maxWaitNanos;
    }

    public Priorities priorities() {
        return priorities;
    }

    public String policy() {
        return policy;
    }

    public BackpressureConfig config() {
        return config;
    }

    public boolean adaptive() {
        return adaptive != null;
    }
}
