package dev.sluice.sidecar.limit;

import java.util.concurrent.CompletableFuture;

/**
 * A shared counter that takes small batches of the shared quota (leases) and spends them locally,
 * so that most decisions need no round trip. Leased units are taken in the store before they are
 * spent, so the replicas together never admit more than the limits; what they cost in accuracy is
 * the units held unspent (at most {@code maxLease} per replica and key): a lease older than
 * {@code leaseTtlNanos} is given back with the next take, so an idle replica does not keep them.
 *
 * <p>The lease grows (doubling up to {@code maxLease}) while a replica spends whole leases within
 * their lifetime and shrinks when one expires unspent. A refusal from the store is remembered until
 * the quota has room again, so a refused client costs no round trip either. While a take is on its
 * way, other requests for the key wait for it instead of sending their own.
 */
public final class LeasedCounter implements SharedCounter {
    private final RemoteCounter remote;
    private final long cost;
    private final long maxLease;
    private final long leaseTtlNanos;

    private long tokens;
    private long leaseExpiresAt = Long.MIN_VALUE;
    private long leaseSize;
    private long refusedUntil = Long.MIN_VALUE;
    private int refusedLimit;
    private long waiting;
    private CompletableFuture<Void> taking;
    private final long[] remaining;
    private final long[] resetAt;

    /**
     * @param limits the key's number of limits
     * @param cost the rule's cost per request
     * @param maxLease the most units held at once (at least {@code cost})
     */
    public LeasedCounter(RemoteCounter remote, int limits, long cost, long maxLease, long leaseTtlNanos) {
        this.remote = remote;
        this.cost = cost;
        this.maxLease = Math.max(cost, maxLease);
        this.leaseTtlNanos = leaseTtlNanos;
        this.leaseSize = cost;
        this.remaining = new long[limits];
        this.resetAt = new long[limits];
    }

    @Override
    public synchronized int tryLocally(long cost, long nowNanos, SharedOutcome outcome) {
        return local(cost, nowNanos, outcome);
    }

    @Override
    public CompletableFuture<SharedOutcome> decide(long cost, long nowNanos, SharedOutcome outcome) {
        CompletableFuture<Void> take;
        long[] request = null;
        synchronized (this) {
            if (local(cost, nowNanos, outcome) != NEEDS_STORE) {
                return CompletableFuture.completedFuture(outcome);
            }
            if (taking == null) {
                taking = new CompletableFuture<>();
                request = nextTake(cost, nowNanos);
            } else {
                waiting += cost;
            }
            take = taking;
        }
        if (request != null) {
            send(take, request, cost, nowNanos);
        }
        return take.thenCompose(done -> {
            synchronized (this) {
                if (local(cost, nowNanos, outcome) != NEEDS_STORE) {
                    return CompletableFuture.completedFuture(outcome);
                }
            }
            // Others spent the units this take brought: take again.
            return decide(cost, nowNanos, outcome);
        });
    }

    /** Puts the units back into the lease; they go back to the store with the next take if unspent. */
    @Override
    public synchronized void refund(long cost, long nowNanos) {
        tokens += cost;
    }

    private int local(long cost, long nowNanos, SharedOutcome outcome) {
        if (nowNanos < refusedUntil) {
            fill(outcome, nowNanos, 0);
            outcome.usage(refusedLimit, 0, Math.max(0, resetAt[refusedLimit] - nowNanos), refusedUntil - nowNanos);
            outcome.refuse(refusedLimit);
            return REFUSED;
        }
        if (nowNanos < leaseExpiresAt && tokens >= cost) {
            tokens -= cost;
            fill(outcome, nowNanos, tokens);
            outcome.allow();
            return ALLOWED;
        }
        return NEEDS_STORE;
    }

    /** Headers from what the store said at the last take plus what this replica still holds. */
    private void fill(SharedOutcome outcome, long nowNanos, long held) {
        for (int i = 0; i < remaining.length; i++) {
            outcome.usage(i, remaining[i] + held, Math.max(0, resetAt[i] - nowNanos), 0);
        }
    }

    /** Sizes the next take: {giveBack, max}. An expired lease goes back; one spent within its lifetime doubles. */
    private long[] nextTake(long cost, long nowNanos) {
        long giveBack = 0;
        if (nowNanos >= leaseExpiresAt) {
            if (leaseExpiresAt != Long.MIN_VALUE && tokens >= cost) {
                leaseSize = Math.max(cost, leaseSize / 2);
            }
            giveBack = tokens;
            tokens = 0;
        } else {
            leaseSize = Math.min(maxLease, leaseSize * 2);
        }
        long want = Math.min(Math.max(leaseSize, cost + waiting), maxLease);
        waiting = 0;
        return new long[] {giveBack, Math.max(cost, want - tokens)};
    }

    private void send(CompletableFuture<Void> take, long[] request, long cost, long nowNanos) {
        CompletableFuture<TakeResult> call;
        try {
            call = remote.take(request[0], cost, request[1], nowNanos);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((result, error) -> {
            synchronized (this) {
                taking = null;
                if (error == null) {
                    taken(result, nowNanos);
                }
            }
            if (error == null) {
                take.complete(null);
            } else {
                take.completeExceptionally(error);
            }
        });
    }

    private void taken(TakeResult result, long nowNanos) {
        for (int i = 0; i < remaining.length; i++) {
            remaining[i] = result.remaining()[i];
            resetAt[i] = nowNanos + result.resetNanos()[i];
        }
        if (result.granted() >= cost) {
            tokens += result.granted();
            leaseExpiresAt = nowNanos + leaseTtlNanos;
            return;
        }
        int refusing = Math.max(0, result.refusingLimit());
        refusedLimit = refusing;
        // At least a microsecond: the store counts in microseconds, and an instant refusal would be asked again at once.
        refusedUntil = nowNanos + Math.max(1_000, result.waitNanos()[refusing]);
    }

    /**
     * At once, unless a take is on its way: the units it brings would land in a forgotten counter.
     * Units held are given back by {@link #forget}, and a remembered refusal only saves a round trip.
     */
    @Override
    public synchronized long forgettableAt() {
        return taking != null ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    /** Gives the units held back to the store, without waiting: a lost give-back only makes the limit stricter. */
    @Override
    public void forget(long nowNanos) {
        long held;
        synchronized (this) {
            held = tokens;
            tokens = 0;
        }
        if (held > 0) {
            try {
                remote.take(held, 0, 0, nowNanos);
            } catch (RuntimeException e) {
                // Not connected: the units stay taken until the store refills them.
            }
        }
    }

    /** Units this replica holds unspent, for tests and the admin view. */
    public synchronized long held() {
        return tokens;
    }
}
