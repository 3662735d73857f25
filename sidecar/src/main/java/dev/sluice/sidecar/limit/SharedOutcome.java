package dev.sluice.sidecar.limit;

import java.util.Arrays;

/**
 * What a Global rule's shared counter decided for one request: allowed or refused (and by which of
 * the key's limits), with each limit's usage for the response headers.
 */
public final class SharedOutcome {
    private Usage[] usages = new Usage[0];
    private int limits;
    boolean allowed;
    int refusedLimit = -1;

    /** Makes room for {@code limits} usages and clears the verdict. */
    public SharedOutcome prepare(int limits) {
        if (usages.length < limits) {
            int old = usages.length;
            usages = Arrays.copyOf(usages, limits);
            for (int i = old; i < limits; i++) {
                usages[i] = new Usage();
            }
        }
        this.limits = limits;
        this.allowed = false;
        this.refusedLimit = -1;
        return this;
    }

    public int limits() {
        return limits;
    }

    /** Sets limit {@code i}'s usage: what is left, nanoseconds until it is full again, and until a refused request could pass. */
    public void usage(int i, long remaining, long resetNanos, long retryAfterNanos) {
        usages[i].set(remaining, resetNanos, retryAfterNanos);
    }

    public Usage usage(int i) {
        return usages[i];
    }

    public void allow() {
        allowed = true;
        refusedLimit = -1;
    }

    public void refuse(int limit) {
        allowed = false;
        refusedLimit = limit;
    }

    public boolean allowed() {
        return allowed;
    }

    public int refusedLimit() {
        return refusedLimit;
    }
}
