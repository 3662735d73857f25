package dev.sluice.sidecar.limit;

/**
 * A rule's counters, kept across reloads while the rule is unchanged: {@code local} are the counters
 * of a Local rule, or a Global rule's fallback share; {@code shared} (Global only) are the handles on
 * the store's counters, with what a strategy holds locally for them.
 */
record RuleStores(KeyStore<LimitCounter[]> local, KeyStore<SharedCounter> shared) {
    /** Where the rule's keys are counted: the shared handles of a Global rule (its local share serves only while the store cannot). */
    KeyStore<?> primary() {
        return shared != null ? shared : local;
    }

    long size() {
        return primary().size();
    }

    /** Keys forgotten by both stores. */
    long evicted(KeyStore.Eviction reason) {
        return local.evicted(reason) + (shared != null ? shared.evicted(reason) : 0);
    }

    long overflowed() {
        return local.overflowed() + (shared != null ? shared.overflowed() : 0);
    }

    void cleanUp(long nowNanos) {
        local.cleanUp(nowNanos);
        if (shared != null) {
            shared.cleanUp(nowNanos);
        }
    }
}
