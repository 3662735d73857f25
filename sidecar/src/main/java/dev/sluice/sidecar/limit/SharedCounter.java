package dev.sluice.sidecar.limit;

import java.util.concurrent.CompletableFuture;

/**
 * The counters of one key of a Global rule, kept in a store that every replica shares. A decision
 * first tries {@link #tryLocally} (a strategy may hold part of the quota, or remember a refusal),
 * and goes to the store only when that cannot decide.
 */
public interface SharedCounter extends Refundable {
    int ALLOWED = 0;
    int REFUSED = 1;
    int NEEDS_STORE = 2;

    /**
     * Decides without the store if this counter can: {@link #ALLOWED} (the cost is taken),
     * {@link #REFUSED}, or {@link #NEEDS_STORE}. Never blocks.
     */
    int tryLocally(long cost, long nowNanos, SharedOutcome outcome);

    /**
     * Decides through the store. The future completes with {@code outcome} filled in (on a store
     * thread), or exceptionally when the store failed or timed out.
     */
    CompletableFuture<SharedOutcome> decide(long cost, long nowNanos, SharedOutcome outcome);

    /**
     * From when this handle may be forgotten without changing anything. The store keeps the key's
     * quota whatever this replica forgets, so by default at once; a counter that holds part of the
     * quota locally says when it can let it go.
     */
    default long forgettableAt() {
        return Long.MIN_VALUE;
    }

    /** Called once this handle is forgotten: gives back to the store whatever it still holds. Never blocks. */
    default void forget(long nowNanos) {
    }
}
