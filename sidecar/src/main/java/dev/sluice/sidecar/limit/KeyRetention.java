package dev.sluice.sidecar.limit;

/** What a {@link KeyStore} needs to know of the values it keeps: when forgetting one changes nothing. */
interface KeyRetention<V> {
    /** A key's local counters: forgettable once every one of them is full again. */
    KeyRetention<LimitCounter[]> LOCAL = counters -> {
        long at = Long.MIN_VALUE;
        for (LimitCounter counter : counters) {
            at = Math.max(at, counter.fullAt());
        }
        return at;
    };

    /** A Global rule's handle on a key in the shared store, which keeps the quota itself. */
    KeyRetention<SharedCounter> SHARED = new KeyRetention<>() {
        @Override
        public long forgettableAt(SharedCounter counter) {
            return counter.forgettableAt();
        }

        @Override
        public void forgotten(SharedCounter counter, long nowNanos) {
            counter.forget(nowNanos);
        }
    };

    /** The instant (clock nanoseconds) from which forgetting {@code value} changes nothing, if nothing more is taken from it. */
    long forgettableAt(V value);

    /** Called once {@code value} is forgotten. */
    default void forgotten(V value, long nowNanos) {
    }
}
