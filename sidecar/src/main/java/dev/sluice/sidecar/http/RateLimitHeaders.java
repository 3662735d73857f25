package dev.sluice.sidecar.http;

import dev.sluice.sidecar.limit.Decision;
import dev.sluice.sidecar.limit.LimitSpec;
import dev.sluice.sidecar.limit.RuleLimiter;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;

/**
 * The rate-limit fields of a response, both families:
 * <ul>
 *   <li>the IETF draft's {@code RateLimit-Policy: "name";q=10;w=1, ...} and
 *       {@code RateLimit: "name";r=7;t=1, ...} (remaining quota and seconds until it is full again);</li>
 *   <li>the legacy {@code X-RateLimit-Limit}, {@code -Remaining} and {@code -Reset} (Unix time in seconds
 *       when the quota is full again).</li>
 * </ul>
 * An allowed request lists every limit that applied, and the legacy fields describe the one closest to
 * refusing. A refusal lists only the limit that refused, in every field, plus {@code Retry-After} in
 * seconds: the limits that had allowed it were given their cost back, so their figures would describe
 * a request that did not happen, and the client needs to know which quota to wait for.
 */
final class RateLimitHeaders {
    static final HttpString RATELIMIT_POLICY = new HttpString("RateLimit-Policy");
    static final HttpString RATELIMIT = new HttpString("RateLimit");
    static final HttpString X_LIMIT = new HttpString("X-RateLimit-Limit");
    static final HttpString X_REMAINING = new HttpString("X-RateLimit-Remaining");
    static final HttpString X_RESET = new HttpString("X-RateLimit-Reset");
    static final HttpString RETRY_AFTER = new HttpString("Retry-After");
    /** How soon a client may retry when a Global rule's store is unreachable. */
    static final long STORE_RETRY_AFTER_MILLIS = 1000;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private RateLimitHeaders() {
    }

    static void write(Decision decision, HeaderMap headers, StringBuilder scratch) {
        if (decision.rejected()) {
            writeRefusal(decision, headers, scratch);
            return;
        }
        int count = decision.reportedCount();
        if (count == 0) {
            return;
        }
        int closest = 0;
        for (int i = 1; i < count; i++) {
            if (decision.reportedRemaining(i) < decision.reportedRemaining(closest)) {
                closest = i;
            }
        }
        scratch.setLength(0);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                scratch.append(", ");
            }
            scratch.append(decision.reportedSpec(i).policyItem());
        }
        headers.put(RATELIMIT_POLICY, scratch.toString());
        scratch.setLength(0);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                scratch.append(", ");
            }
            remainingItem(scratch, decision.reportedSpec(i), decision.reportedRemaining(i), decision.reportedResetNanos(i));
        }
        headers.put(RATELIMIT, scratch.toString());
        headers.put(X_LIMIT, decision.reportedSpec(closest).requests());
        headers.put(X_REMAINING, decision.reportedRemaining(closest));
        headers.put(X_RESET, epochSeconds(decision.nowNanos() + decision.reportedResetNanos(closest)));
    }

    private static void writeRefusal(Decision decision, HeaderMap headers, StringBuilder scratch) {
        LimitSpec limit = decision.rejectedLimit();
        headers.put(RATELIMIT_POLICY, limit.policyItem());
        scratch.setLength(0);
        remainingItem(scratch, limit, decision.rejectedRemaining(), decision.rejectedResetNanos());
        headers.put(RATELIMIT, scratch.toString());
        headers.put(X_LIMIT, limit.requests());
        headers.put(X_REMAINING, decision.rejectedRemaining());
        headers.put(X_RESET, epochSeconds(decision.nowNanos() + decision.rejectedResetNanos()));
        headers.put(RETRY_AFTER, Math.max(1, seconds(decision.retryAfterNanos())));
    }

    private static void remainingItem(StringBuilder scratch, LimitSpec limit, long remaining, long resetNanos) {
        scratch.append('"').append(limit.name()).append("\";r=").append(remaining).append(";t=").append(seconds(resetNanos));
    }

    /** The JSON body of a 429: which policy, rule and limit refused, and when to retry. */
    static String rejectionBody(Decision decision) {
        RuleLimiter rule = decision.rejectedBy();
        LimitSpec limit = decision.rejectedLimit();
        long retryAfter = Math.max(1, seconds(decision.retryAfterNanos()));
        StringBuilder body = new StringBuilder(256);
        body.append("{\"error\":\"rate_limited\",\"status\":429,\"policy\":");
        Json.string(body, rule.policy()).append(",\"rule\":");
        Json.string(body, rule.rule()).append(",\"limit\":{\"name\":");
        Json.string(body, limit.name()).append(",\"requests\":").append(limit.requests()).append(",\"period\":");
        Json.string(body, limit.period()).append(",\"burst\":").append(limit.capacity()).append("},\"retryAfterSeconds\":")
                .append(retryAfter).append(",\"message\":");
        Json.string(body, rejectionMessage(decision));
        return body.append("}\n").toString();
    }

    /** Why a request was refused, in words: the 429's message, and a gRPC call's {@code grpc-message}. */
    static String rejectionMessage(Decision decision) {
        RuleLimiter rule = decision.rejectedBy();
        return "rate limit exceeded: rule " + rule.rule() + " of policy " + rule.policy() + " allows "
                + decision.rejectedLimit().describe() + "; retry in " + Math.max(1, seconds(decision.retryAfterNanos())) + "s";
    }

    /** The delay before a refused request may succeed, in milliseconds, at least one: gRPC's retry pushback. */
    static long retryAfterMillis(Decision decision) {
        return Math.max(1, (decision.retryAfterNanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI);
    }

    /** The JSON body of a 503 from a Global rule that fails closed while its store is unreachable. */
    static String unavailableBody(Decision decision) {
        RuleLimiter rule = decision.unavailableRule();
        StringBuilder body = new StringBuilder(256);
        body.append("{\"error\":\"rate_limit_store_unavailable\",\"status\":503,\"policy\":");
        Json.string(body, rule.policy()).append(",\"rule\":");
        Json.string(body, rule.rule()).append(",\"retryAfterSeconds\":1,\"message\":");
        Json.string(body, unavailableMessage(decision));
        return body.append("}\n").toString();
    }

    static String unavailableMessage(Decision decision) {
        RuleLimiter rule = decision.unavailableRule();
        return "rule " + rule.rule() + " of policy " + rule.policy() + " shares its limits through Redis, which is"
                + " unreachable; the policy fails closed (failureMode: Closed)";
    }

    static long seconds(long nanos) {
        return (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
    }

    private static long epochSeconds(long epochNanos) {
        return (epochNanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
    }
}
