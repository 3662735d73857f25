package dev.sluice.sidecar.limit;

import dev.sluice.api.config.FailureMode;
import dev.sluice.sidecar.log.ThrottledLog;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Says why a Global rule decided without its store, at most once per interval, never once per request. */
final class FallbackLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.sidecar.fallback");

    private final String policy;
    private final String rule;
    private final FailureMode failureMode;
    private final ThrottledLog throttle = new ThrottledLog();

    FallbackLog(String policy, String rule, FailureMode failureMode) {
        this.policy = policy;
        this.rule = rule;
        this.failureMode = failureMode;
    }

    /** {@code error} is the store's failure, or null when the store was known to be down and not asked. */
    void fellBack(Throwable error, long nowNanos) {
        long count = throttle.due(nowNanos);
        if (count < 0) {
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        LOG.warn("{} decision(s) of policy {} rule {} in the last {}s made without the shared store ({}): failureMode {}",
                count, policy, rule, ThrottledLog.INTERVAL_SECONDS,
                cause == null ? "unreachable, or failing and left alone for a while" : cause.toString(),
                failureMode == FailureMode.Open ? "Open, this sidecar's share of the limits applies" : "Closed, answered 503");
    }
}
