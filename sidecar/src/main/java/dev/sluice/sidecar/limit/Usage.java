package dev.sluice.sidecar.limit;

/** What one counter reports after a decision: what is left, when it is full again, and how long to wait when refused. */
public final class Usage {
    long remaining;
    long resetNanos;
    long retryAfterNanos;

    public long remaining() {
        return remaining;
    }

    public long resetNanos() {
        return resetNanos;
    }

    public long retryAfterNanos() {
        return retryAfterNanos;
    }

    void set(long remaining, long resetNanos, long retryAfterNanos) {
        this.remaining = Math.max(0, remaining);
        this.resetNanos = Math.max(0, resetNanos);
        this.retryAfterNanos = Math.max(0, retryAfterNanos);
    }
}
