package dev.sluice.api.config;

/** How an adaptive concurrency limit reads latency (Netflix concurrency-limits). */
public enum AdaptiveAlgorithm {
    /** Gradient2: the ratio of long-term to short-term latency shrinks the limit when latency rises. */
    Gradient,
    /** TCP Vegas: the queue estimated from the minimum latency seen. */
    Vegas
}
