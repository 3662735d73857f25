package dev.sluice.sidecar.limit;

/**
 * A rule's counters, kept across reloads while the rule is unchanged: {@code local} are the counters
 * of a Local rule, or a Global rule's fallback share; {@code shared} (Global only) are the handles on
 * the store's counters, with what a strategy holds locally for them.
 */
record RuleStores(KeyStore<LimitCounter[]> local, KeyStore<SharedCounter> shared) {
    KeyStore<?> primary() {
        return shared != null ? shared : local;
    }

    void cleanUp() {
        local.cleanUp();
        if (shared != null) {
            shared.cleanUp();
        }
    }
}
