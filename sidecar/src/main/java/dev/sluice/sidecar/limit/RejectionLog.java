package dev.sluice.sidecar.limit;

import dev.sluice.sidecar.log.ThrottledLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Says why a rule rejects requests, at most once per interval, never once per request. */
final class RejectionLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.sidecar.rejections");

    private final String policy;
    private final String rule;
    private final ThrottledLog throttle = new ThrottledLog();

    RejectionLog(String policy, String rule) {
        this.policy = policy;
        this.rule = rule;
    }

    void rejected(boolean shadow, CharSequence key, LimitSpec limit, long nowNanos) {
        long count = throttle.due(nowNanos);
        if (count < 0) {
            return;
        }
        String shownKey = printable(key.toString());
        LOG.info("{} {} request(s) since the last report (at most {}s ago): policy {} rule {} limit {} ({}), {}",
                shadow ? "shadow mode would have rejected" : "rejected", count, ThrottledLog.INTERVAL_SECONDS,
                policy, rule, limit.name(), limit.describe(), shownKey.isEmpty() ? "one counter for all requests" : "last key '" + shownKey + "'");
    }

    /**
     * The key as a person reads it: the dimensions joined by '|', without the tier index that leads the
     * stored key (the limit's name already says the tier), e.g. "203.0.113.7|GET /api/orders".
     */
    static String printable(String key) {
        String dimensions = key.length() > 1 ? key.substring(2) : "";
        return dimensions.replace('\u001f', '|');
    }
}
