package dev.sluice.api.config;

/** What a {@link Scope#Global} policy does while its shared store is unreachable. */
public enum FailureMode {
    /** Decide locally with this sidecar's share of the limit. */
    Open,
    /** Reject with 503. */
    Closed
}
