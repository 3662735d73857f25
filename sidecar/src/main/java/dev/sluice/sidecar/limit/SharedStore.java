package dev.sluice.sidecar.limit;

import java.util.function.Function;

/** Where Global rules keep the counters that every replica of a policy shares. */
public interface SharedStore {
    /**
     * Whether decisions may go to the store now; false while it is known to be down (not connected,
     * or its breaker open after failures), when rules apply their failure mode without trying.
     */
    boolean available();

    /** Creates the shared counters of one Global rule: key (whose first character is its tier) to counter. */
    Function<String, SharedCounter> counters(SharedRuleSpec rule);
}
