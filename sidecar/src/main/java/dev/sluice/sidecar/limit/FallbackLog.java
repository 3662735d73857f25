package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Says why a Global rule decided without its store, at most once per interval, never once per request. */
final class FallbackLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.sidecar.fallback");

    private final String policy;
    private final String rule;
    private final FailureMode failureMode;
    private final AtomicLong nextLogAt = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder sinceLastLog = new LongAdder();

    FallbackLog(String policy, String rule, FailureMode failureMode) {
        this.policy = policy;
        this.rule = rule;
        this.failureMode = failureMode;
    }

    /** {@code error} is the store's failure, or null when the store was known to be down and not asked. */
    void fellBack(Throwable error, long nowNanos) {
        sinceLastLog.increment();
        long next = nextLogAt.get();
        if (nowNanos < next || !nextLogAt.compareAndSet(next, nowNanos + RejectionLog.INTERVAL_NANOS)) {
            return;
        }
        long count = sinceLastLog.sumThenReset();
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        LOG.warn("{} decision(s) of policy {} rule {} in the last {}s made without the shared store ({}): failureMode {}",
                count, policy, rule, RejectionLog.INTERVAL_NANOS / 1_000_000_000L,
                cause == null ? "unreachable, or failing and left alone for a while" : cause.toString(),
                failureMode == FailureMode.Open ? "Open, this sidecar's share of the limits applies" : "Closed, answered 503");
    }
}
