package dev.sluice.sidecar.redis;

import dev.sluice.api.config.RedisConfig;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.SharedStore;
import dev.sluice.sidecar.limit.SharedStores;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Redis store of the configuration in force, owned by the sidecar. A reload with the same
 * {@code redis} section keeps the store (and its connection); a changed section opens a new one and
 * closes the old after a grace period, so requests in flight on the old limits finish.
 */
public final class RedisStores implements SharedStores, AutoCloseable {
    private static final Duration RETIRE_AFTER = Duration.ofSeconds(30);

    private final RedisPassword environmentPassword;
    private final LimiterClock clock;
    private final StoreMeters meters;
    private final List<RedisStore> retired = new ArrayList<>();
    private final ScheduledExecutorService retirement = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-redis-retire");
        thread.setDaemon(true);
        return thread;
    });
    private volatile RedisStore current;

    public RedisStores(RedisPassword environmentPassword, LimiterClock clock, MeterRegistry registry) {
        this.environmentPassword = environmentPassword;
        this.clock = clock;
        this.meters = new StoreMeters(registry, () -> current);
    }

    @Override
    public synchronized SharedStore storeFor(RedisConfig redis) {
        RedisStore store = current;
        if (store != null && store.config().equals(redis)) {
            return store;
        }
        current = new RedisStore(redis, environmentPassword, clock, meters);
        if (store != null) {
            retired.add(store);
            retirement.schedule(() -> retire(store), RETIRE_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        }
        return current;
    }

    private void retire(RedisStore store) {
        synchronized (this) {
            if (!retired.remove(store)) {
                return;
            }
        }
        store.close();
    }

    /** The store in force, or null while no Global policy has needed one. */
    public RedisStore current() {
        return current;
    }

    /** Why this sidecar should not get traffic because of Redis, or null: only refused credentials, which do not heal. */
    public String notReadyReason() {
        RedisStore store = current;
        if (store == null) {
            return null;
        }
        RedisStore.Health health = store.health();
        return health.state() == RedisStore.State.AUTH_FAILED ? health.message() : null;
    }

    @Override
    public void close() {
        retirement.shutdownNow();
        List<RedisStore> closing;
        synchronized (this) {
            closing = new ArrayList<>(retired);
            retired.clear();
            if (current != null) {
                closing.add(current);
            }
            current = null;
        }
        // A loop, not a method reference: a sidecar that never needed Redis must not link Lettuce to stop
        // (the operator's tests run a sidecar without Lettuce on the classpath).
        for (RedisStore store : closing) {
            store.close();
        }
    }
}
