package dev.sluice.sidecar.http;

import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.limit.RateLimiter;

/**
 * What one request is enforced with: the rate limits, the concurrency gates and the guard of its
 * target, all of one configuration. {@link RateLimitHandler} reads it once when the request arrives
 * and hands that snapshot down the chain, so a reload in the middle of a request cannot give it the
 * limits of one configuration and the gates or breaker of another.
 */
public interface Enforced {
    RateLimiter limiter();

    /** The gates in policy order; empty when none applies. */
    PolicyGate[] gates();

    /** The guard of the target the request goes to, or null when no breaker guards it. */
    Guard guard();
}
