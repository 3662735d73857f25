package dev.sluice.sidecar.limit;

/**
 * A token bucket of {@code capacity} tokens refilled greedily at {@code requests} per period: the
 * arithmetic of Bucket4j's greedy bandwidth ({@code BucketState64BitsInteger}), so that a local bucket
 * and a bucket in Redis (Bucket4j's) count alike, to the nanosecond of every reset they report
 * ({@code TokenBucketCounterTest} drives both side by side).
 *
 * <p>Why not Bucket4j's local bucket, as before: it reports the reset time and the wait only through a
 * {@code ConsumptionProbe} allocated per take (40 bytes per limit per request, which escape analysis
 * did not remove), reads the clock again through its {@code TimeMeter} on every call (twice per take
 * with {@link #fullAt}), and is six objects per key where this is one. The request path takes from
 * every limit of a key on every request, so each of those costs is paid at the request rate.
 *
 * <p>Tokens are whole; refill that is not yet a whole token is kept in {@link #partial} as
 * {@code requests × nanoseconds} (below one period's worth), so that no fraction is lost between calls.
 * Products that would overflow a long (huge limits over long periods) fall back to floating point,
 * dropping the fraction, as Bucket4j does.
 */
final class TokenBucketCounter implements LimitCounter {
    private final long capacity;
    private final long refillTokens;
    private final long refillPeriodNanos;

    private long tokens;
    private long partial;
    /** The time the state was refilled up to: the latest time any call brought, so never goes back. */
    private long refilledAt = Long.MIN_VALUE;
    /** Only ever raised. */
    private long fullAt = Long.MIN_VALUE;

    TokenBucketCounter(LimitSpec spec) {
        this.capacity = spec.capacity();
        this.refillTokens = spec.requests();
        this.refillPeriodNanos = spec.parsedPeriod().duration().toNanos();
        this.tokens = capacity;
    }

    @Override
    public synchronized boolean tryConsume(long cost, long nowNanos, Usage usage) {
        refill(nowNanos);
        if (cost > tokens) {
            long wait = cost > capacity ? Long.MAX_VALUE : nanosToRefill(cost - tokens, false);
            usage.set(tokens, nanosToRefill(capacity - tokens, false), wait);
            return false;
        }
        tokens -= cost;
        usage.set(tokens, nanosToRefill(capacity - tokens, false), 0);
        // The state is as of refilledAt: now, or a later time another thread brought.
        fullAt = Math.max(fullAt, refilledAt + nanosToRefill(capacity - tokens, true));
        return true;
    }

    @Override
    public synchronized long fullAt() {
        return fullAt;
    }

    @Override
    public synchronized void refund(long cost, long nowNanos) {
        refill(nowNanos);
        long refunded = tokens + cost;
        if (refunded >= capacity || refunded < tokens) {
            fill();
        } else {
            tokens = refunded;
        }
    }

    /** Adds what the time since the last refill earned: whole tokens, the rest kept in {@link #partial}. */
    private void refill(long nowNanos) {
        long previous = refilledAt;
        if (nowNanos <= previous) {
            return;
        }
        refilledAt = nowNanos;
        if (tokens >= capacity) {
            return;
        }
        long elapsed = nowNanos - previous;
        long refilled = tokens;
        if (elapsed > refillPeriodNanos) {
            refilled += elapsed / refillPeriodNanos * refillTokens;
            if (refilled > capacity || refilled < tokens) {
                fill();
                return;
            }
            elapsed %= refillPeriodNanos;
        }
        long earned = multiplyOrMax(refillTokens, elapsed);
        long dividend = earned + partial;
        if (earned == Long.MAX_VALUE || dividend < 0) {
            refilled += (long) ((double) elapsed / (double) refillPeriodNanos * (double) refillTokens);
            partial = 0;
        } else {
            refilled += dividend / refillPeriodNanos;
            partial = dividend % refillPeriodNanos;
        }
        if (refilled >= capacity || refilled < tokens) {
            fill();
            return;
        }
        tokens = refilled;
    }

    private void fill() {
        tokens = capacity;
        partial = 0;
    }

    /**
     * Nanoseconds until {@code deficit} more tokens are in the bucket: rounded down for what requests are
     * told (as Bucket4j reports it), or up for {@link #fullAt}, which must never be early.
     */
    private long nanosToRefill(long deficit, boolean roundUp) {
        if (deficit <= 0) {
            return 0;
        }
        long dividend = multiplyOrMax(refillPeriodNanos, deficit);
        if (dividend == Long.MAX_VALUE) {
            double nanos = (double) deficit / (double) refillTokens * (double) refillPeriodNanos;
            return roundUp ? (long) Math.ceil(nanos) : (long) nanos;
        }
        long remainder = dividend - partial;
        return remainder / refillTokens + (roundUp && remainder % refillTokens != 0 ? 1 : 0);
    }

    /** {@code a × b} for non-negative operands, or {@link Long#MAX_VALUE} if it does not fit. */
    private static long multiplyOrMax(long a, long b) {
        long product = a * b;
        return Math.multiplyHigh(a, b) != 0 || product < 0 ? Long.MAX_VALUE : product;
    }
}
