package dev.sluice.api.config;

/** How a sidecar keeps a {@link Scope#Global} limit in step with Redis. */
public enum GlobalStrategy {
    /**
     * Takes small batches of the shared quota (leases) with one script call and spends them locally;
     * refused keys are remembered until their quota refills. Most decisions need no round trip.
     */
    Lease,
    /** One atomic script call per decision: exact, one round trip each. */
    Script,
    /** Bucket4j's Lettuce proxy manager (compare-and-swap, token buckets only): the reference implementation. */
    Bucket4j
}
