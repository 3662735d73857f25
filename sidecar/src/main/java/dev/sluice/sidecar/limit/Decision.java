package dev.sluice.sidecar.limit;

import java.util.Arrays;

/**
 * The outcome of one request's evaluation: the limits to report in headers and, when refused, which
 * rule and limit refused it. One instance per I/O thread is reused for every request it handles, so
 * the decision path allocates nothing of its own but the key string.
 */
public final class Decision {
    final Usage usage = new Usage();
    final StringBuilder key = new StringBuilder(64);
    long nowNanos;

    private int reported;
    private LimitSpec[] reportedSpecs = new LimitSpec[4];
    private long[] reportedRemaining = new long[4];
    private long[] reportedReset = new long[4];

    private int consumed;
    private LimitCounter[] consumedCounters = new LimitCounter[8];
    private long[] consumedCosts = new long[8];

    private RuleLimiter rejectedBy;
    private LimitSpec rejectedLimit;
    private long rejectedRemaining;
    private long retryAfterNanos;

    void reset(long nowNanos) {
        this.nowNanos = nowNanos;
        reported = 0;
        Arrays.fill(consumedCounters, 0, consumed, null);
        consumed = 0;
        rejectedBy = null;
        rejectedLimit = null;
    }

    void report(LimitSpec spec, Usage usage) {
        if (reported == reportedSpecs.length) {
            reportedSpecs = Arrays.copyOf(reportedSpecs, reported * 2);
            reportedRemaining = Arrays.copyOf(reportedRemaining, reported * 2);
            reportedReset = Arrays.copyOf(reportedReset, reported * 2);
        }
        reportedSpecs[reported] = spec;
        reportedRemaining[reported] = usage.remaining;
        reportedReset[reported] = usage.resetNanos;
        reported++;
    }

    void consumed(LimitCounter counter, long cost) {
        if (consumed == consumedCounters.length) {
            consumedCounters = Arrays.copyOf(consumedCounters, consumed * 2);
            consumedCosts = Arrays.copyOf(consumedCosts, consumed * 2);
        }
        consumedCounters[consumed] = counter;
        consumedCosts[consumed] = cost;
        consumed++;
    }

    int consumedMark() {
        return consumed;
    }

    /** Gives back everything taken since {@code mark}: a refused request costs no rule anything. */
    void refundSince(int mark) {
        for (int i = consumed - 1; i >= mark; i--) {
            consumedCounters[i].refund(consumedCosts[i], nowNanos);
            consumedCounters[i] = null;
        }
        consumed = mark;
    }

    /** Drops the reports made since {@code mark} (a shadow rule's, or a refused request's). */
    int reportedMark() {
        return reported;
    }

    void dropReportsSince(int mark) {
        reported = mark;
    }

    void reject(RuleLimiter rule, LimitSpec limit, Usage usage) {
        rejectedBy = rule;
        rejectedLimit = limit;
        rejectedRemaining = usage.remaining;
        retryAfterNanos = usage.retryAfterNanos;
    }

    public boolean rejected() {
        return rejectedBy != null;
    }

    public RuleLimiter rejectedBy() {
        return rejectedBy;
    }

    public LimitSpec rejectedLimit() {
        return rejectedLimit;
    }

    public long rejectedRemaining() {
        return rejectedRemaining;
    }

    public long retryAfterNanos() {
        return retryAfterNanos;
    }

    public long nowNanos() {
        return nowNanos;
    }

    public int reportedCount() {
        return reported;
    }

    public LimitSpec reportedSpec(int i) {
        return reportedSpecs[i];
    }

    public long reportedRemaining(int i) {
        return reportedRemaining[i];
    }

    public long reportedResetNanos(int i) {
        return reportedReset[i];
    }
}
