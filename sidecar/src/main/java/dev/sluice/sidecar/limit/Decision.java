package dev.sluice.sidecar.limit;

import dev.sluice.sidecar.match.RequestKey;
import java.util.Arrays;

/**
 * The outcome of one request's evaluation: the limits to report in headers and, when refused, which
 * rule and limit refused it. One instance per I/O thread is reused for every request it handles, key
 * included, so the decision path allocates nothing of its own (but the key's {@code String} the first
 * time a rule's store meets it). A request that Global rules
 * must decide through the shared store {@linkplain #deferred() defers} them; its decision then
 * belongs to that request until it completes (the I/O thread takes a fresh one).
 */
public final class Decision {
    final Usage usage = new Usage();
    final RequestKey key = new RequestKey();
    long nowNanos;

    private int reported;
    private LimitSpec[] reportedSpecs = new LimitSpec[4];
    private long[] reportedRemaining = new long[4];
    private long[] reportedReset = new long[4];

    private int consumed;
    private Refundable[] consumedCounters = new Refundable[8];
    private long[] consumedCosts = new long[8];

    final SharedOutcome sharedOutcome = new SharedOutcome();
    private int deferred;
    private RuleLimiter[] deferredRules = new RuleLimiter[2];
    private SharedCounter[] deferredCounters = new SharedCounter[2];
    private String[] deferredKeys = new String[2];

    private RuleLimiter unavailable;

    private RuleLimiter rejectedBy;
    private LimitSpec rejectedLimit;
    private long rejectedRemaining;
    private long rejectedResetNanos;
    private long retryAfterNanos;

    void reset(long nowNanos) {
        this.nowNanos = nowNanos;
        reported = 0;
        // Nothing the last request used stays reachable through this thread once the next one starts.
        for (int i = 0; i < consumed; i++) {
            consumedCounters[i] = null;
        }
        consumed = 0;
        rejectedBy = null;
        rejectedLimit = null;
        if (deferred > 0) {
            Arrays.fill(deferredRules, 0, deferred, null);
            Arrays.fill(deferredCounters, 0, deferred, null);
            Arrays.fill(deferredKeys, 0, deferred, null);
            deferred = 0;
        }
        unavailable = null;
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

    void consumed(Refundable counter, long cost) {
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

    /** A Global rule that only the shared store can decide for this request. */
    void defer(RuleLimiter rule, SharedCounter counter, String key) {
        if (deferred == deferredRules.length) {
            deferredRules = Arrays.copyOf(deferredRules, deferred * 2);
            deferredCounters = Arrays.copyOf(deferredCounters, deferred * 2);
            deferredKeys = Arrays.copyOf(deferredKeys, deferred * 2);
        }
        deferredRules[deferred] = rule;
        deferredCounters[deferred] = counter;
        deferredKeys[deferred] = key;
        deferred++;
    }

    /** Whether Global rules wait for the shared store: finish with {@link RateLimiter#complete(Decision)}. */
    public boolean deferred() {
        return deferred > 0;
    }

    int deferredCount() {
        return deferred;
    }

    RuleLimiter deferredRule(int i) {
        return deferredRules[i];
    }

    SharedCounter deferredCounter(int i) {
        return deferredCounters[i];
    }

    String deferredKey(int i) {
        return deferredKeys[i];
    }

    /** Refuses the request because a Global rule that fails closed cannot reach its store. */
    void unavailable(RuleLimiter rule) {
        unavailable = rule;
    }

    /** The rule whose shared store is unreachable and that fails closed, or null. */
    public RuleLimiter unavailableRule() {
        return unavailable;
    }

    void reject(RuleLimiter rule, LimitSpec limit, Usage usage) {
        rejectedBy = rule;
        rejectedLimit = limit;
        rejectedRemaining = usage.remaining;
        rejectedResetNanos = usage.resetNanos;
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

    /** Nanoseconds from now until the refusing limit is full again. */
    public long rejectedResetNanos() {
        return rejectedResetNanos;
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
