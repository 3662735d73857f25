package dev.sluice.sidecar.redis;

import dev.sluice.sidecar.limit.RemoteCounter;
import dev.sluice.sidecar.limit.TakeResult;
import java.util.concurrent.CompletableFuture;

/** One key's limits in Redis, taken from by {@code take.lua}: one script call, one round trip. */
final class LuaCounter implements RemoteCounter {
    private final RedisStore store;
    private final byte[] key;
    private final LuaLimits limits;

    LuaCounter(RedisStore store, byte[] key, LuaLimits limits) {
        this.store = store;
        this.key = key;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<TakeResult> take(long giveBack, long min, long max, long nowNanos) {
        return store.take(key, limits.arguments(giveBack, min, max, nowNanos)).thenApply(limits::result);
    }
}
