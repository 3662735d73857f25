package dev.sluice.sidecar.limit;

import java.util.concurrent.CompletableFuture;

/** One key's limits in the shared store, changed only by atomic takes. */
public interface RemoteCounter {
    /**
     * Atomically gives {@code giveBack} units back to every limit of the key, then takes the same
     * number from each, as many as are available up to {@code max}, or none if fewer than
     * {@code min} are. Completes exceptionally when the store fails or times out.
     */
    CompletableFuture<TakeResult> take(long giveBack, long min, long max, long nowNanos);
}
