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
 * {@code redis} section keeps the store (and its connection); a changed section opens a new one aside,
 * and once the reload is in force closes the old after a grace period, so requests in flight on the
 * old limits finish. A reload that is refused closes the store it opened.
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
    private RedisStore pending;

    public RedisStores(RedisPassword environmentPassword, LimiterClock clock, MeterRegistry registry) {
        this.environmentPassword = environmentPassword;
        this.clock = clock;
        this.meters = new StoreMeters(registry, () -> current);
    }

    @Override
    public synchronized SharedStore storeFor(RedisConfig redis) {
        if (current != null && current.config().equals(redis)) {
            return current;
        }
        if (pending != null && pending.config().equals(redis)) {
            return pending;
        }
        if (pending != null) {
            pending.close();
        }
        pending = new RedisStore(redis, environmentPassword, clock, meters);
        return pending;
    }

    @Override
    public synchronized void putInForce(SharedStore store) {
        if (store != pending) {
            return;
        }
        RedisStore replaced = current;
        current = pending;
        pending = null;
        if (replaced != null) {
            retired.add(replaced);
            retirement.schedule(() -> retire(replaced), RETIRE_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void discard(SharedStore store) {
        RedisStore closing;
        synchronized (this) {
            if (store != pending) {
                return;
            }
            closing = pending;
            pending = null;
        }
        closing.close();
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
            if (pending != null) {
                closing.add(pending);
            }
            current = null;
            pending = null;
        }
        // A loop, not a method reference: a sidecar that never needed Redis must not link Lettuce to stop
        // (the operator's tests run a sidecar without Lettuce on the classpath).
        for (RedisStore store : closing) {
            store.close();
        }
    }
}
