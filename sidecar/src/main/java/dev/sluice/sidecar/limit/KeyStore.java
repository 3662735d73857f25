package dev.sluice.sidecar.limit;

import dev.sluice.sidecar.match.RequestKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The counters of one rule, by key ({@code V}: a key's local counters, or a Global rule's handle on
 * its shared counters), at most {@code maxKeys} of them, so that distinct clients cannot exhaust the
 * heap.
 *
 * <p>A key is forgotten only when forgetting it changes nothing: once its counters are full again
 * (what {@link KeyRetention#forgettableAt} says), and then when it has been unseen for
 * {@code idleTimeout}, or at once when the store holds {@code maxKeys} and a new key needs the room.
 * A key still limited is kept however long it idles and however many new keys arrive: dropping it
 * would give its client a fresh quota.
 *
 * <p>While the store is full of keys that are all still limited, a new key is counted in one of
 * {@value #OVERFLOW_SHARES} overflow counters of its tier, chosen by the key's hash, each with the
 * rule's limits: a new client shares a quota with the few new keys of its share, never gets more than
 * its own, and a flood of new keys gains at most {@value #OVERFLOW_SHARES} quotas per tier. A new key
 * whose share is not full again stays counted there even when the store has room, so that moving to
 * counters of its own cannot hand it a fresh quota either.
 *
 * <p>Why not Caffeine, as before: a cache forgets by recency and frequency, and at its bound drops
 * whichever entry its policy picks; here only the counters know whether a key may go, and that
 * changes with every request. So: a {@link ConcurrentHashMap} (a known key costs one lookup, by a
 * {@link RequestKey} that is not made into a {@code String}, and one plain write: no allocation),
 * swept by the requests themselves a slice of {@value #SWEEP_SLICE} keys at a time, so that no request
 * pays for the whole store: a pass every {@code idleTimeout} (between 1 s and 1 min) for idle keys,
 * and one whenever the store is full and some key may be full again, to make room.
 *
 * <p>A request that took its counters just before another thread dropped them counts on the dropped
 * ones: at most that request's cost is lost, and only from a key that was full.
 */
final class KeyStore<V> {
    /** Overflow counters per tier (a power of two), created as needed. */
    static final int OVERFLOW_SHARES = 1024;
    /** Keys one request looks at when it sweeps. */
    static final int SWEEP_SLICE = 256;
    private static final long MIN_SWEEP_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long MAX_SWEEP_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();

    /** Why a key was forgotten: its counters were full again, and it was unseen for idleTimeout, or its room was needed. */
    enum Eviction {
        IDLE("idle"), CAP("cap");

        final String label;

        Eviction(String label) {
            this.label = label;
        }
    }

    private static final class Slot<V> {
        /**
         * {@link #lastSeen} is written by every request for the key, from every thread, and read only by
         * sweeps, which need no ordering with the counters: opaque, so that the write is a plain store and
         * not a volatile one, whose fence would stall each request while the line is on another core.
         */
        private static final VarHandle LAST_SEEN;

        static {
            try {
                LAST_SEEN = MethodHandles.lookup().findVarHandle(Slot.class, "lastSeen", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final String key;
        final V counters;
        private long lastSeen;

        Slot(String key, V counters, long lastSeen) {
            this.key = key;
            this.counters = counters;
            this.lastSeen = lastSeen;
        }

        long lastSeen() {
            return (long) LAST_SEEN.getOpaque(this);
        }

        void seen(long nowNanos) {
            if (lastSeen() != nowNanos) {
                LAST_SEEN.setOpaque(this, nowNanos);
            }
        }
    }

    private final ConcurrentHashMap<String, Slot<V>> slots = new ConcurrentHashMap<>();
    private final AtomicLong size = new AtomicLong();
    private final long maxKeys;
    private final long idleNanos;
    private final long sweepIntervalNanos;
    private final Function<String, V> factory;
    private final KeyRetention<V> retention;
    private final AtomicReferenceArray<AtomicReferenceArray<V>> overflow;
    private final LongAdder evictedIdle = new LongAdder();
    private final LongAdder evictedCap = new LongAdder();
    private final LongAdder overflowed = new LongAdder();

    private final ReentrantLock sweepLock = new ReentrantLock();
    /** When a request should sweep the next slice; {@link Long#MIN_VALUE} while a pass is under way. */
    private volatile long nextSliceAt = Long.MIN_VALUE;
    /** Until then no kept key can be full again, so a pass to make room would free nothing. */
    private volatile long nextRoomAt = Long.MIN_VALUE;
    private volatile boolean roomWanted;
    private volatile boolean insertedDuringPass;
    /** The pass under way, with what it has learnt so far; guarded by {@link #sweepLock}. */
    private Iterator<Slot<V>> cursor;
    private boolean makingRoom;
    private long soonestForgettable;

    KeyStore(long maxKeys, Duration idleTimeout, int tiers, Function<String, V> factory, KeyRetention<V> retention) {
        this.maxKeys = maxKeys;
        this.idleNanos = idleTimeout.toNanos();
        this.sweepIntervalNanos = Math.max(MIN_SWEEP_INTERVAL_NANOS, Math.min(MAX_SWEEP_INTERVAL_NANOS, idleNanos));
        this.factory = factory;
        this.retention = retention;
        this.overflow = new AtomicReferenceArray<>(tiers);
    }

    /**
     * The counters of {@code key} (whose first character is its tier), or its overflow share while the
     * store has no room for it. A known key is found without a {@code String} being made of it; once
     * found, {@code key.toString()} is the store's copy.
     */
    V countersFor(RequestKey key, long nowNanos) {
        Slot<V> slot = known(key, nowNanos);
        if (slot == null) {
            return admit(key.toString(), nowNanos);
        }
        key.storedAs(slot.key);
        return slot.counters;
    }

    /** {@link #countersFor(RequestKey, long)} for a key already made. */
    V countersFor(String key, long nowNanos) {
        Slot<V> slot = known(key, nowNanos);
        return slot == null ? admit(key, nowNanos) : slot.counters;
    }

    /** The slot of a key the store holds, marked seen, or null; {@code key} is a {@link String} or a {@link RequestKey}. */
    private Slot<V> known(Object key, long nowNanos) {
        if (nowNanos >= nextSliceAt) {
            sweepSlice(nowNanos);
        }
        Slot<V> slot = slots.get(key);
        if (slot != null) {
            slot.seen(nowNanos);
        }
        return slot;
    }

    private V admit(String key, long nowNanos) {
        if (size.get() >= maxKeys && nowNanos >= nextRoomAt) {
            roomWanted = true;
            sweepSlice(nowNanos);
        }
        V share = share(key, false);
        if ((share == null || retention.forgettableAt(share) <= nowNanos) && reserve()) {
            Slot<V> created = new Slot<>(key, factory.apply(key), nowNanos);
            Slot<V> existing = slots.putIfAbsent(key, created);
            if (existing == null) {
                insertedDuringPass = true;
                nextRoomAt = Long.MIN_VALUE;
                return created.counters;
            }
            size.decrementAndGet();
            return existing.counters;
        }
        overflowed.increment();
        return share != null ? share : share(key, true);
    }

    private boolean reserve() {
        long current;
        do {
            current = size.get();
            if (current >= maxKeys) {
                return false;
            }
        } while (!size.compareAndSet(current, current + 1));
        return true;
    }

    /** The overflow share of {@code key}; null if it does not exist and {@code create} is false. */
    private V share(String key, boolean create) {
        int tier = key.charAt(0);
        AtomicReferenceArray<V> shares = overflow.get(tier);
        if (shares == null) {
            if (!create) {
                return null;
            }
            overflow.compareAndSet(tier, null, new AtomicReferenceArray<>(OVERFLOW_SHARES));
            shares = overflow.get(tier);
        }
        int hash = key.hashCode();
        int index = (hash ^ (hash >>> 16)) & (OVERFLOW_SHARES - 1);
        V share = shares.get(index);
        if (share == null && create) {
            shares.compareAndSet(index, null, factory.apply(overflowKey(tier, index)));
            share = shares.get(index);
        }
        return share;
    }

    /** A key no request can have: after the tier, a compound key is empty or starts with a separator. */
    static String overflowKey(int tier, int index) {
        return (char) tier + "overflow-" + index;
    }

    private void sweepSlice(long nowNanos) {
        if (!sweepLock.tryLock()) {
            return;
        }
        try {
            if (roomWanted && !makingRoom) {
                roomWanted = false;
                makingRoom = true;
                cursor = null;
            }
            if (cursor == null) {
                startPass();
            }
            for (int i = 0; i < SWEEP_SLICE && cursor.hasNext(); i++) {
                visit(cursor.next(), nowNanos);
            }
            if (cursor.hasNext()) {
                nextSliceAt = Long.MIN_VALUE;
            } else {
                endPass(nowNanos);
            }
        } finally {
            sweepLock.unlock();
        }
    }

    private void startPass() {
        insertedDuringPass = false;
        cursor = slots.values().iterator();
        soonestForgettable = Long.MAX_VALUE;
    }

    private void endPass(long nowNanos) {
        cursor = null;
        if (makingRoom) {
            makingRoom = false;
            // A key created during the pass may be full again before any the pass saw.
            nextRoomAt = insertedDuringPass ? Long.MIN_VALUE : Math.min(soonestForgettable, nowNanos + sweepIntervalNanos);
        }
        nextSliceAt = nowNanos + sweepIntervalNanos;
    }

    private void visit(Slot<V> slot, long nowNanos) {
        long forgettable = retention.forgettableAt(slot.counters);
        long seen = slot.lastSeen();
        Eviction reason = null;
        if (forgettable <= nowNanos) {
            if (nowNanos - seen >= idleNanos) {
                reason = Eviction.IDLE;
            } else if (makingRoom && seen < nowNanos) {
                reason = Eviction.CAP;
            }
        }
        if (reason == null) {
            soonestForgettable = Math.min(soonestForgettable, Math.max(forgettable, seen + 1));
            return;
        }
        if (slots.remove(slot.key, slot)) {
            size.decrementAndGet();
            (reason == Eviction.IDLE ? evictedIdle : evictedCap).increment();
            retention.forgotten(slot.counters, nowNanos);
        }
    }

    /** Sweeps the whole store now for idle keys that are full again (passes otherwise run a slice per request). */
    void cleanUp(long nowNanos) {
        sweepLock.lock();
        try {
            makingRoom = false;
            startPass();
            while (cursor.hasNext()) {
                visit(cursor.next(), nowNanos);
            }
            endPass(nowNanos);
        } finally {
            sweepLock.unlock();
        }
    }

    long size() {
        return size.get();
    }

    long evicted(Eviction reason) {
        return (reason == Eviction.IDLE ? evictedIdle : evictedCap).sum();
    }

    /** Requests of new keys counted in an overflow share because the store had no room for them. */
    long overflowed() {
        return overflowed.sum();
    }
}
