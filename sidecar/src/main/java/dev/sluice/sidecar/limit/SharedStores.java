package dev.sluice.sidecar.limit;

import dev.sluice.api.config.RedisConfig;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Gives the compiled limits the store for a configuration's {@code redis} section, kept across reloads while it is unchanged. */
@FunctionalInterface
public interface SharedStores {
    /** For limiters built without one: a Global policy then fails as its failure mode says. */
    SharedStores NONE = redis -> UnavailableStore.INSTANCE;

    /**
     * The store for {@code redis}: the one in force if the section is unchanged, else one opened aside,
     * which the limiter compiled with it {@linkplain #putInForce puts in force} or {@linkplain #discard discards}.
     */
    SharedStore storeFor(RedisConfig redis);

    /** Makes {@code store} the one in force, retiring the one it replaces. */
    default void putInForce(SharedStore store) {
    }

    /** Closes {@code store} if it was opened aside and will not be put in force. */
    default void discard(SharedStore store) {
    }

    /** A store that is never available. */
    final class UnavailableStore implements SharedStore {
        static final UnavailableStore INSTANCE = new UnavailableStore();

        @Override
        public boolean available() {
            return false;
        }

        private static final SharedCounter NO_COUNTER = new SharedCounter() {
            @Override
            public int tryLocally(long cost, long nowNanos, SharedOutcome outcome) {
                return NEEDS_STORE;
            }

            @Override
            public CompletableFuture<SharedOutcome> decide(long cost, long nowNanos, SharedOutcome outcome) {
                return CompletableFuture.failedFuture(new IllegalStateException("no shared store is configured"));
            }

            @Override
            public void refund(long cost, long nowNanos) {
            }
        };

        @Override
        public Function<String, SharedCounter> counters(SharedRuleSpec rule) {
            return key -> NO_COUNTER;
        }
    }
}
