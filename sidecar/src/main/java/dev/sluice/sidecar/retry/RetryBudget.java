package dev.sluice.sidecar.retry;

import dev.sluice.sidecar.limit.LimiterClock;

/**
 * Caps retries at a share of requests, as Linkerd's and Finagle's retry budgets do: over the last 10
 * seconds (ten one-second buckets on an injected clock), retries may be at most
 * {@code percent}% of requests plus {@code minPerSecond} a second, so a failing upstream sees at most
 * that much extra load whatever the clients do, while a quiet service can still retry.
 */
public final class RetryBudget {
    static final int BUCKETS = 10;
    private static final long BUCKET_NANOS = 1_000_000_000L;

    private final int percent;
    private final int minPerSecond;
    private final LimiterClock clock;
    private final long[] requests = new long[BUCKETS];
    private final long[] retries = new long[BUCKETS];
    private long currentBucket;

    public RetryBudget(int percent, int minPerSecond, LimiterClock clock) {
        this.percent = percent;
        this.minPerSecond = minPerSecond;
        this.clock = clock;
        this.currentBucket = clock.nanos() / BUCKET_NANOS;
    }

    /** Counts an original request (not a retry). */
    public synchronized void onRequest() {
        requests[advance()]++;
    }

    /** Takes one retry from the budget if there is one left. */
    public synchronized boolean tryRetry() {
        int index = advance();
        long requestSum = 0;
        long retrySum = 0;
        for (int i = 0; i < BUCKETS; i++) {
            requestSum += requests[i];
            retrySum += retries[i];
        }
        long allowed = (long) minPerSecond * BUCKETS + requestSum * percent / 100;
        if (retrySum + 1 > allowed) {
            return false;
        }
        retries[index]++;
        return true;
    }

    /** Retries the budget would still allow now. */
    public synchronized long remaining() {
        advance();
        long requestSum = 0;
        long retrySum = 0;
        for (int i = 0; i < BUCKETS; i++) {
            requestSum += requests[i];
            retrySum += retries[i];
        }
        return Math.max(0, (long) minPerSecond * BUCKETS + requestSum * percent / 100 - retrySum);
    }

    /** Clears the buckets that fell out of the window and returns the current one's index. */
    private int advance() {
        long bucket = clock.nanos() / BUCKET_NANOS;
        if (bucket > currentBucket) {
            long stale = Math.min(BUCKETS, bucket - currentBucket);
            for (long b = 1; b <= stale; b++) {
                int index = (int) Math.floorMod(currentBucket + b, (long) BUCKETS);
                requests[index] = 0;
                retries[index] = 0;
            }
            currentBucket = bucket;
        }
        return (int) Math.floorMod(currentBucket, (long) BUCKETS);
    }
}
