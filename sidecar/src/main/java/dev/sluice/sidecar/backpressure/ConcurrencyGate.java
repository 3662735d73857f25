package dev.sluice.sidecar.backpressure;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.LimitPeriod;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A policy's cap on requests in flight, without threads: a request is admitted, told to wait (it
 * then waits as a parked callback, holding no thread), or refused. The limit is the fixed
 * {@code maxConcurrent}, the adaptive limit, or the lower of the two. Priorities shed in order: a
 * request whose priority sheds at {@code p}% is refused while {@code inFlight ≥ p% · limit}; only a
 * priority that sheds at 100% may wait in the queue when the gate is full, and waiters are admitted
 * highest priority first, then first come first served.
 *
 * <p>A request's slot is freed when its exchange ends. An upgraded connection (a WebSocket) ends its exchange with
 * the 101; with {@code countUpgradedConnections} its slot is then held on by the connection ({@link #holdForUpgrade})
 * and freed when the connection closes, so that {@link #inFlight()} counts open upgraded connections beside requests.
 * Such a connection may outlive many configurations: when a reload replaces the gate (its backpressure changed), the
 * new gate takes the open connections over ({@link #adoptUpgradedConnections}) rather than start from none.
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
    private final boolean countsUpgradedConnections;
    private final ArrayDeque<Waiter>[] queues;
    private volatile int inFlight;
    private volatile int queued;
    /** Of {@link #inFlight}, the slots held by open upgraded connections; guarded by this gate. */
    private final Set<UpgradedSlot> held = new HashSet<>();
    /** {@code held.size()}, for readers without the lock. */
    private volatile int upgraded;

    public ConcurrencyGate(String policy, BackpressureConfig config) {
        this(policy, config, config.adaptive() == null ? null : AdaptiveLimit.of(config.adaptive()));
    }

    /** With the adaptive limit given, e.g. one that records the samples it is fed. */
    @SuppressWarnings("unchecked")
    ConcurrencyGate(String policy, BackpressureConfig config, AdaptiveLimit adaptive) {
        this.policy = policy;
        this.config = config;
        ConcurrencyConfig concurrency = config.concurrency();
        this.maxConcurrent = concurrency == null ? Integer.MAX_VALUE : concurrency.maxConcurrent();
        this.queueSize = concurrency == null ? 0 : concurrency.queueSize();
        this.maxWaitNanos = concurrency == null ? 0 : LimitPeriod.parseDuration(concurrency.maxWait()).toNanos();
        this.priorities = Priorities.of(config.shedding());
        this.adaptive = adaptive;
        this.countsUpgradedConnections = concurrency != null && concurrency.countsUpgradedConnections();
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
        sample(startNanos, rttNanos, inFlightAtStart, dropped);
        free();
    }

    /**
     * A request admitted at {@code startNanos} was answered 101 after {@code rttNanos} and its connection
     * upgraded, under a gate that {@link #countsUpgradedConnections()}: the connection keeps the slot until the
     * returned {@link UpgradedSlot} is released. The handshake is the adaptive limit's sample, a success; the
     * connection's life, however long its ends keep it, says nothing of the app's latency and is never one.
     */
    public UpgradedSlot holdForUpgrade(long startNanos, long rttNanos, int inFlightAtStart) {
        sample(startNanos, rttNanos, inFlightAtStart, false);
        UpgradedSlot slot = new UpgradedSlot(this);
        synchronized (this) {
            held.add(slot);
            upgraded = held.size();
        }
        return slot;
    }

    /**
     * Puts in this gate the open upgraded connections {@code previous} holds slots for, when this gate replaces it
     * for the same policy and counts them too: they stay counted, here, and free their slots here when they close.
     * Requests waiting at {@code previous} (they arrived under its configuration) may take the room they leave.
     */
    public void adoptUpgradedConnections(ConcurrencyGate previous) {
        if (!countsUpgradedConnections || previous == this) {
            return;
        }
        // Always the replaced gate's lock first: a release takes one gate's lock only, so there is no other order.
        synchronized (previous) {
            synchronized (this) {
                for (UpgradedSlot slot : previous.held) {
                    slot.gate = this;
                    held.add(slot);
                }
                inFlight += previous.held.size();
                upgraded = held.size();
                previous.inFlight -= previous.held.size();
                previous.held.clear();
                previous.upgraded = 0;
            }
        }
        previous.admitWaiters();
    }

    private void sample(long startNanos, long rttNanos, int inFlightAtStart, boolean dropped) {
        if (adaptive != null) {
            adaptive.onSample(startNanos, rttNanos, inFlightAtStart, dropped);
        }
    }

    private void free() {
        List<Waiter> admitted;
        synchronized (this) {
            inFlight--;
            admitted = admitWhileRoom();
        }
        wake(admitted);
    }

    /** Frees {@code slot}'s place if this gate holds it; false if another gate adopted it meanwhile. */
    private boolean freeHeld(UpgradedSlot slot) {
        List<Waiter> admitted;
        synchronized (this) {
            if (!held.remove(slot)) {
                return false;
            }
            upgraded = held.size();
            inFlight--;
            admitted = admitWhileRoom();
        }
        wake(admitted);
        return true;
    }

    private void admitWaiters() {
        List<Waiter> admitted;
        synchronized (this) {
            admitted = admitWhileRoom();
        }
        wake(admitted);
    }

    /** Under the lock, in the same hold as the slot freed: a request arriving meanwhile cannot pass the waiters. */
    private List<Waiter> admitWhileRoom() {
        List<Waiter> admitted = null;
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
        return admitted;
    }

    /** Outside the lock. */
    private static void wake(List<Waiter> admitted) {
        if (admitted != null) {
            admitted.forEach(Waiter::admitted);
        }
    }

    /**
     * The slot an open upgraded connection holds, in the gate that holds it now (a reload may move it to the gate
     * that replaced the one it was admitted by). Whatever ends the connection (either end closing it, the tunnel's
     * idle timeout, a failed upgrade, the sidecar stopping) may release it, and more than one may: the slot is freed
     * the first time only.
     */
    public static final class UpgradedSlot {
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile ConcurrencyGate gate;

        private UpgradedSlot(ConcurrencyGate gate) {
            this.gate = gate;
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                ConcurrencyGate holder = gate;
                while (!holder.freeHeld(this)) {
                    // Adopted between reading the gate and taking its lock: the adoption set the new one before it let go.
                    holder = gate;
                }
            }
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

    /** Open upgraded connections holding a slot; counted in {@link #inFlight()}. */
    public int upgradedConnections() {
        return upgraded;
    }

    /** Whether an upgraded connection keeps its slot until it closes ({@code countUpgradedConnections}). */
    public boolean countsUpgradedConnections() {
        return countsUpgradedConnections;
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
