package dev.sluice.sidecar.limit;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Says why a rule rejects requests, at most once per interval, never once per request. */
final class RejectionLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.sidecar.rejections");
    static final long INTERVAL_NANOS = 10_000_000_000L;

    private final String policy;
    private final String rule;
    private final AtomicLong nextLogAt = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder sinceLastLog = new LongAdder();

    RejectionLog(String policy, String rule) {
        this.policy = policy;
        this.rule = rule;
    }

    void rejected(boolean shadow, String key, LimitSpec limit, long nowNanos) {
        sinceLastLog.increment();
        long next = nextLogAt.get();
        if (nowNanos < next || !nextLogAt.compareAndSet(next, nowNanos + INTERVAL_NANOS)) {
            return;
        }
        long count = sinceLastLog.sumThenReset();
        LOG.info("{} {} request(s) in the last {}s: policy {} rule {} limit {} ({}), last key '{}'",
                shadow ? "shadow mode would have rejected" : "rejected", count, INTERVAL_NANOS / 1_000_000_000L,
                policy, rule, limit.name(), limit.describe(), printable(key));
    }

    private static String printable(String key) {
        return key.replace('\u001f', '|');
    }
}
