package dev.sluice.sidecar.redis;

import dev.sluice.api.config.GlobalStrategy;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.sidecar.breaker.TimeSource;
import dev.sluice.sidecar.limit.DirectCounter;
import dev.sluice.sidecar.limit.LeasedCounter;
import dev.sluice.sidecar.limit.LimitSpec;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.SharedCounter;
import dev.sluice.sidecar.limit.SharedRuleSpec;
import dev.sluice.sidecar.limit.SharedStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The shared store of one {@code redis} section: the counters of each strategy (Bucket4j, the
 * {@code take.lua} script, leases on top of it), the script every take runs, and a breaker that keeps
 * decisions off Redis while it fails. The connection itself (topology, password, TLS, reconnecting)
 * is {@link RedisConnection}'s: until it is up, Global rules apply their failure mode.
 */
public final class RedisStore implements SharedStore, AutoCloseable {
    private static final String SCRIPT_RESOURCE = "/dev/sluice/sidecar/redis/take.lua";
    private static final long MIN_LEASE_TTL_NANOS = 10_000_000L;
    private static final long MAX_LEASE_TTL_NANOS = 1_000_000_000L;

    /** Where the connection stands. */
    public enum State { CONNECTING, CONNECTED, UNREACHABLE, AUTH_FAILED }

    /** The connection's state and, when it is not connected, why. */
    public record Health(State state, String message) {
    }

    private final RedisConfig config;
    private final LimiterClock clock;
    private final StoreMeters meters;
    private final StoreBreaker breaker;
    private final Duration timeout;
    private final byte[] script;
    private final String scriptSha;
    private final RedisConnection link;
    private volatile RedisScriptingAsyncCommands<byte[], byte[]> commands;
    private volatile AsyncProxyManager<byte[]> bucket4j;

    RedisStore(RedisConfig config, RedisPassword environmentPassword, LimiterClock clock, StoreMeters meters) {
        this.config = config;
        this.clock = clock;
        this.meters = meters;
        // Monotonic real time, not the limiter clock: whether Redis answers again is a matter of real
        // time, and a sidecar whose limits run on a test's manual clock must still probe it.
        this.breaker = StoreBreaker.withDefaults(new TimeSource(System::nanoTime));
        this.timeout = LimitPeriod.parseDuration(config.timeout());
        this.script = readScript();
        this.scriptSha = sha1(script);
        this.link = new RedisConnection(config, environmentPassword, timeout, meters, this::connected);
        link.start();
    }

    @SuppressWarnings("unchecked")
    private void connected(StatefulConnection<byte[], byte[]> connected) {
        if (config.strategy() == GlobalStrategy.Bucket4j) {
            TimeMeter time = clock.asTimeMeter();
            ExpirationAfterWriteStrategy expiry = ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10));
            bucket4j = (connected instanceof StatefulRedisClusterConnection<?, ?> cluster
                    ? Bucket4jLettuce.casBasedBuilder((StatefulRedisClusterConnection<byte[], byte[]>) cluster)
                            .clientClock(time).requestTimeout(timeout).expirationAfterWrite(expiry).build()
                    : Bucket4jLettuce.casBasedBuilder((StatefulRedisConnection<byte[], byte[]>) connected)
                            .clientClock(time).requestTimeout(timeout).expirationAfterWrite(expiry).build()).asAsync();
        }
        commands = connected instanceof StatefulRedisClusterConnection<?, ?> cluster
                ? ((StatefulRedisClusterConnection<byte[], byte[]>) cluster).async()
                : ((StatefulRedisConnection<byte[], byte[]>) connected).async();
    }

    @Override
    public boolean available() {
        return link.open() && breaker.allowsCall();
    }

    boolean connectedAndClosedBreaker() {
        return link.open() && breaker.state() == CircuitBreaker.State.CLOSED;
    }

    @Override
    public Function<String, SharedCounter> counters(SharedRuleSpec rule) {
        int tiers = rule.specs().length;
        String[] prefixes = new String[tiers];
        switch (config.strategy()) {
            case Bucket4j -> {
                BucketConfiguration[] configurations = new BucketConfiguration[tiers];
                for (int t = 0; t < tiers; t++) {
                    prefixes[t] = RedisKeys.tierPrefix(config.keyPrefix(), rule, t, Bucket4jCounter.FORMAT);
                    configurations[t] = Bucket4jCounter.configuration(rule.specs()[t]);
                }
                return key -> new Bucket4jCounter(this, RedisKeys.key(prefixes[key.charAt(0)], key), configurations[key.charAt(0)]);
            }
            case Script -> {
                LuaLimits[] limits = luaLimits(rule, prefixes);
                return key -> new DirectCounter(new LuaCounter(this, RedisKeys.key(prefixes[key.charAt(0)], key), limits[key.charAt(0)]));
            }
            default -> {
                LuaLimits[] limits = luaLimits(rule, prefixes);
                long[] maxLease = new long[tiers];
                long[] leaseTtl = new long[tiers];
                for (int t = 0; t < tiers; t++) {
                    maxLease[t] = maxLease(rule.specs()[t], rule.cost(), rule.replicas(), config.leasePercent());
                    leaseTtl[t] = leaseTtl(rule.specs()[t]);
                }
                return key -> {
                    int tier = key.charAt(0);
                    LuaCounter remote = new LuaCounter(this, RedisKeys.key(prefixes[tier], key), limits[tier]);
                    return new LeasedCounter(remote, limits[tier].limits(), rule.cost(), maxLease[tier], leaseTtl[tier]);
                };
            }
        }
    }

    private LuaLimits[] luaLimits(SharedRuleSpec rule, String[] prefixes) {
        LuaLimits[] limits = new LuaLimits[rule.specs().length];
        for (int t = 0; t < limits.length; t++) {
            prefixes[t] = RedisKeys.tierPrefix(config.keyPrefix(), rule, t, LuaLimits.FORMAT);
            limits[t] = new LuaLimits(rule.algorithm(), rule.zone(), rule.specs()[t]);
        }
        return limits;
    }

    /**
     * The most one replica holds for one key: its part of {@code leasePercent} of the smallest
     * capacity, so that all replicas together hold at most that share of the limit (at least the cost).
     */
    static long maxLease(LimitSpec[] specs, long cost, int replicas, int leasePercent) {
        long smallest = Long.MAX_VALUE;
        for (LimitSpec spec : specs) {
            smallest = Math.min(smallest, spec.capacity());
        }
        return Math.max(cost, smallest * leasePercent / 100 / Math.max(1, replicas));
    }

    /** A tenth of the shortest period, between 10 ms and 1 s: unspent leases go back before they distort a window. */
    static long leaseTtl(LimitSpec[] specs) {
        long shortest = Long.MAX_VALUE;
        for (LimitSpec spec : specs) {
            long nanos = spec.parsedPeriod().isCalendarMonths() ? Long.MAX_VALUE : spec.parsedPeriod().duration().toNanos();
            shortest = Math.min(shortest, nanos);
        }
        return Math.max(MIN_LEASE_TTL_NANOS, Math.min(MAX_LEASE_TTL_NANOS, shortest / 10));
    }

    /** Runs {@code take.lua} on {@code key}: by digest, and by text when Redis does not hold it yet. */
    CompletableFuture<List<Object>> take(byte[] key, byte[][] args) {
        RedisScriptingAsyncCommands<byte[], byte[]> current = commands;
        if (current == null) {
            return CompletableFuture.failedFuture(new RedisConnectionException("not connected to " + link.description()));
        }
        byte[][] keys = {key};
        CompletableFuture<List<Object>> call;
        try {
            call = current.<List<Object>>evalsha(scriptSha, ScriptOutputType.MULTI, keys, args).toCompletableFuture()
                    .exceptionallyCompose(error -> RedisErrors.message(error).startsWith("NOSCRIPT")
                            ? current.<List<Object>>eval(script, ScriptOutputType.MULTI, keys, args).toCompletableFuture()
                            : CompletableFuture.failedFuture(error));
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return measure(call);
    }

    /** Times a call, counts its failure by reason, and tells the breaker. */
    <T> CompletableFuture<T> measure(CompletableFuture<T> call) {
        long start = System.nanoTime();
        return call.whenComplete((result, error) -> {
            meters.latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            if (error == null) {
                breaker.succeeded();
            } else {
                breaker.failed();
                meters.error(RedisErrors.reason(error));
            }
        });
    }

    AsyncProxyManager<byte[]> bucket4j() {
        AsyncProxyManager<byte[]> manager = bucket4j;
        if (manager == null) {
            throw new RedisConnectionException("not connected to " + link.description());
        }
        return manager;
    }

    public RedisConfig config() {
        return config;
    }

    public Health health() {
        return link.health();
    }

    /** Waits up to {@code timeout} for the first connection attempt to end; true if it has. */
    public boolean awaitFirstAttempt(Duration timeout) throws InterruptedException {
        return link.awaitFirstAttempt(timeout);
    }

    @Override
    public void close() {
        link.close();
    }

    @Override
    public String toString() {
        return link.description();
    }


    private static byte[] readScript() {
        try (InputStream in = RedisStore.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCRIPT_RESOURCE);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
