package dev.sluice.api.config;

/** What a rule does with a request that lacks one of its key dimensions (for example no API-key header). */
public enum MissingKey {
    /** All requests that lack the dimension share one set of counters: omitting a header cannot escape the limit. */
    Shared,
    /** The rule does not apply to such a request. */
    Skip
}
