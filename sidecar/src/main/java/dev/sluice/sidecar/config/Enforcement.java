package dev.sluice.sidecar.config;

import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.resilience.Resilience;

/**
 * What one configuration puts in force, compiled whole before it is swapped in with one write: the
 * document, the rate limits, and the backpressure and circuit breaking. A reload that fails anywhere
 * never produces one, so the previous stays in force entire.
 *
 * @param loaded the document in force, or null before the first load
 */
public record Enforcement(LoadedConfig loaded, RateLimiter limiter, Resilience.Compiled resilience) {
}
