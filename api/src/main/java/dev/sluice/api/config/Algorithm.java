package dev.sluice.api.config;

/** How a rule counts requests against its limits. */
public enum Algorithm {
    /** Bucket of {@code burst} tokens refilled at {@code requests} per {@code period}; allows short bursts. */
    TokenBucket,
    /** Sliding window counter: the previous window's count weighted by its overlap with the sliding window. */
    SlidingWindow,
    /** Counter reset at window boundaries aligned to the calendar (UTC, or the rule's time zone). */
    FixedWindow
}
