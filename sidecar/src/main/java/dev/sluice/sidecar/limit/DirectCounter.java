package dev.sluice.sidecar.limit;

import java.util.concurrent.CompletableFuture;

/** A shared counter that asks the store for every decision: exact, one round trip each. */
public final class DirectCounter implements SharedCounter {
    private final RemoteCounter remote;

    public DirectCounter(RemoteCounter remote) {
        this.remote = remote;
    }

    @Override
    public int tryLocally(long cost, long nowNanos, SharedOutcome outcome) {
        return NEEDS_STORE;
    }

    @Override
    public CompletableFuture<SharedOutcome> decide(long cost, long nowNanos, SharedOutcome outcome) {
        return remote.take(0, cost, cost, nowNanos).thenApply(result -> {
            fill(result, outcome);
            return outcome;
        });
    }

    /** Gives the cost back in the store, without waiting: a lost refund only makes the limit stricter. */
    @Override
    public void refund(long cost, long nowNanos) {
        remote.take(cost, 0, 0, nowNanos);
    }

    static void fill(TakeResult result, SharedOutcome outcome) {
        int refusing = result.granted() > 0 ? -1 : result.refusingLimit();
        for (int i = 0; i < outcome.limits(); i++) {
            outcome.usage(i, result.remaining()[i], result.resetNanos()[i], result.waitNanos()[i]);
        }
        if (result.granted() > 0) {
            outcome.allow();
        } else {
            outcome.refuse(Math.max(0, refusing));
        }
    }
}
