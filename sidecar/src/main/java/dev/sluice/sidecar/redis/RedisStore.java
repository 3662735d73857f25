package dev.sluice.sidecar.redis;

import dev.sluice.api.config.GlobalStrategy;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.RedisAddress;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RedisMode;
import dev.sluice.api.config.RedisTlsConfig;
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
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store of one {@code redis} section: a Lettuce client (standalone, Sentinel or Cluster;
 * password, TLS) with one multiplexed connection, the script every take runs, a breaker that keeps
 * decisions off Redis while it fails, and the counters of each strategy. Connecting never blocks a
 * caller: until the first connection succeeds (retried with backoff) Global rules apply their
 * failure mode; after it, Lettuce reconnects by itself and commands fail at once while disconnected.
 */
public final class RedisStore implements SharedStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
    private static final String SCRIPT_RESOURCE = "/dev/sluice/sidecar/redis/take.lua";
    private static final long MAX_RETRY_DELAY_MILLIS = 30_000;
    private static final long MIN_LEASE_TTL_NANOS = 10_000_000L;
    private static final long MAX_LEASE_TTL_NANOS = 1_000_000_000L;

    /** Where the connection stands. */
    public enum State { CONNECTING, CONNECTED, UNREACHABLE, AUTH_FAILED }

    /** The connection's state and, when it is not connected, why. */
    public record Health(State state, String message) {
    }

    private final RedisConfig config;
    private final RedisPassword environmentPassword;
    private final LimiterClock clock;
    private final StoreMeters meters;
    private final StoreBreaker breaker;
    private final Duration timeout;
    private final String description;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final ScheduledExecutorService retries;
    private final byte[] script;
    private final String scriptSha;
    private final CountDownLatch firstAttempt = new CountDownLatch(1);
    private volatile StatefulConnection<byte[], byte[]> connection;
    private volatile RedisScriptingAsyncCommands<byte[], byte[]> commands;
    private volatile AsyncProxyManager<byte[]> bucket4j;
    private volatile Health health;
    private volatile boolean closed;
    private long retryDelayMillis = 1_000;

    RedisStore(RedisConfig config, RedisPassword environmentPassword, LimiterClock clock, StoreMeters meters) {
        this.config = config;
        this.environmentPassword = environmentPassword;
        this.clock = clock;
        this.meters = meters;
        // Monotonic real time, not the limiter clock: whether Redis answers again is a matter of real
        // time, and a sidecar whose limits run on a test's manual clock must still probe it.
        this.breaker = StoreBreaker.withDefaults(new TimeSource(System::nanoTime));
        this.timeout = LimitPeriod.parseDuration(config.timeout());
        this.script = readScript();
        this.scriptSha = sha1(script);
        int defaultPort = config.mode() == RedisMode.Sentinel ? RedisConfig.DEFAULT_SENTINEL_PORT : RedisConfig.DEFAULT_PORT;
        List<RedisAddress> addresses = config.addresses().stream().map(a -> RedisAddress.parse(a, defaultPort)).toList();
        this.description = switch (config.mode()) {
            case Standalone -> "Redis at " + addresses.get(0);
            case Sentinel -> "Redis master '" + config.sentinelMaster() + "' through sentinels " + addresses;
            case Cluster -> "Redis Cluster seeded by " + addresses;
        };
        this.health = new Health(State.CONNECTING, "connecting to " + description);
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2, TimeUnit.MILLISECONDS))
                .build();
        ClientOptions options = clientOptions();
        if (config.mode() == RedisMode.Cluster) {
            List<RedisURI> seeds = new ArrayList<>();
            for (RedisAddress address : addresses) {
                seeds.add(uri(RedisURI.Builder.redis(address.host(), address.port())));
            }
            RedisClusterClient cluster = RedisClusterClient.create(resources, seeds);
            cluster.setOptions(ClusterClientOptions.builder(options)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
            this.client = cluster;
            this.uri = null;
        } else {
            RedisURI.Builder builder;
            if (config.mode() == RedisMode.Sentinel) {
                builder = RedisURI.Builder.sentinel(addresses.get(0).host(), addresses.get(0).port(), config.sentinelMaster());
                for (RedisAddress sentinel : addresses.subList(1, addresses.size())) {
                    builder.withSentinel(sentinel.host(), sentinel.port());
                }
            } else {
                builder = RedisURI.Builder.redis(addresses.get(0).host(), addresses.get(0).port());
            }
            builder.withDatabase(config.database());
            RedisClient standalone = RedisClient.create(resources);
            standalone.setOptions(options);
            this.client = standalone;
            this.uri = uri(builder);
        }
        this.retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-redis-connect");
            thread.setDaemon(true);
            return thread;
        });
        connect();
    }

    private RedisURI uri(RedisURI.Builder builder) {
        // The URI's timeout bounds the connection handshake (HELLO, AUTH); commands have TimeoutOptions.
        builder.withTimeout(LimitPeriod.parseDuration(config.connectTimeout())).withClientName("sluice-sidecar");
        RedisTlsConfig tls = config.tls();
        if (tls != null && tls.enabled()) {
            builder.withSsl(true).withVerifyPeer(switch (tls.verify()) {
                case Full -> SslVerifyMode.FULL;
                case CA -> SslVerifyMode.CA;
                case None -> SslVerifyMode.NONE;
            });
        }
        if (config.passwordFile() != null || environmentPassword != null) {
            builder.withAuthentication(RedisCredentialsProvider.from(() -> RedisCredentials.just(config.username(), password())));
        }
        return builder.build();
    }

    /** Read at each connection, so that a rotated Secret is picked up on reconnect. */
    private char[] password() {
        if (config.passwordFile() == null) {
            return environmentPassword.value();
        }
        try {
            return Files.readString(Path.of(config.passwordFile()), StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new RedisErrors.CredentialsUnavailableException("cannot read redis.passwordFile " + config.passwordFile() + ": " + e);
        }
    }

    private ClientOptions clientOptions() {
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                // Standalone and Sentinel: a command while disconnected fails at once, and the decision falls back
                // without waiting. Cluster opens node connections as commands need them, so it must queue.
                .disconnectedBehavior(config.mode() == RedisMode.Cluster
                        ? ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS : ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(LimitPeriod.parseDuration(config.connectTimeout()))
                        .keepAlive(true)
                        .build());
        RedisTlsConfig tls = config.tls();
        if (tls != null && tls.enabled()) {
            options.sslOptions(RedisFiles.sslOptions(tls));
        }
        return options.build();
    }

    private void connect() {
        if (closed) {
            return;
        }
        CompletableFuture<? extends StatefulConnection<byte[], byte[]>> attempt;
        try {
            // A cluster client learns the topology from the seeds before it can connect.
            attempt = client instanceof RedisClusterClient cluster
                    ? cluster.refreshPartitionsAsync().toCompletableFuture()
                            .thenCompose(done -> cluster.connectAsync(ByteArrayCodec.INSTANCE))
                            .thenCompose(RedisStore::connectToEveryNode)
                    : ((RedisClient) client).connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        attempt.whenComplete((connected, error) -> {
            try {
                if (error == null) {
                    connected(connected);
                } else {
                    failedToConnect(error);
                }
            } finally {
                firstAttempt.countDown();
            }
        });
    }

    /**
     * Opens the connections to every node now: Lettuce would open each on its first command, which
     * would then wait for a handshake within a decision's short timeout.
     */
    private static CompletableFuture<StatefulRedisClusterConnection<byte[], byte[]>> connectToEveryNode(
            StatefulRedisClusterConnection<byte[], byte[]> connection) {
        List<CompletableFuture<?>> nodes = new ArrayList<>();
        for (RedisClusterNode node : connection.getPartitions()) {
            nodes.add(connection.getConnectionAsync(node.getNodeId()).toCompletableFuture());
        }
        return CompletableFuture.allOf(nodes.toArray(CompletableFuture[]::new)).thenApply(done -> connection);
    }

    @SuppressWarnings("unchecked")
    private void connected(StatefulConnection<byte[], byte[]> connected) {
        if (closed) {
            connected.closeAsync();
            return;
        }
        if (config.strategy() == GlobalStrategy.Bucket4j) {
            TimeMeter time = clock.asTimeMeter();
            ExpirationAfterWriteStrategy expiry = ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10));
            bucket4j = (connected instanceof StatefulRedisClusterConnection<?, ?> cluster
                    ? Bucket4jLettuce.casBasedBuilder((StatefulRedisClusterConnection<byte[], byte[]>) cluster)
                            .clientClock(time).requestTimeout(timeout).expirationAfterWrite(expiry).build()
                    : Bucket4jLettuce.casBasedBuilder((StatefulRedisConnection<byte[], byte[]>) connected)
                            .clientClock(time).requestTimeout(timeout).expirationAfterWrite(expiry).build()).asAsync();
        }
        connection = connected;
        commands = connected instanceof StatefulRedisClusterConnection<?, ?> cluster
                ? ((StatefulRedisClusterConnection<byte[], byte[]>) cluster).async()
                : ((StatefulRedisConnection<byte[], byte[]>) connected).async();
        health = new Health(State.CONNECTED, null);
        LOG.info("connected to {} (strategy {}, timeout {})", description, config.strategy(), config.timeout());
    }

    private void failedToConnect(Throwable error) {
        RedisErrors.Reason reason = RedisErrors.reason(error);
        String message = RedisErrors.message(error);
        Health previous = health;
        if (reason == RedisErrors.Reason.AUTH) {
            String user = config.username() == null ? "default" : config.username();
            health = new Health(State.AUTH_FAILED, description + " refused the credentials of user '" + user + "': " + message
                    + " (the password comes from " + (config.passwordFile() != null ? "redis.passwordFile " + config.passwordFile()
                    : environmentPassword != null ? "the environment variable " + RedisPassword.ENVIRONMENT_VARIABLE
                    : "nowhere: set redis.passwordFile or " + RedisPassword.ENVIRONMENT_VARIABLE) + ")");
        } else {
            health = new Health(State.UNREACHABLE, "cannot connect to " + description + ": " + message);
        }
        meters.error(reason);
        if (!health.equals(previous)) {
            if (reason == RedisErrors.Reason.AUTH) {
                LOG.error("{}; Global policies apply their failure mode and /readyz answers 503 until this is fixed", health.message());
            } else {
                LOG.warn("{}; Global policies apply their failure mode meanwhile, retrying", health.message());
            }
        }
        synchronized (this) {
            long delay = retryDelayMillis;
            retryDelayMillis = Math.min(MAX_RETRY_DELAY_MILLIS, retryDelayMillis * 2);
            if (!closed) {
                retries.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public boolean available() {
        StatefulConnection<byte[], byte[]> current = connection;
        return current != null && current.isOpen() && breaker.allowsCall();
    }

    boolean connectedAndClosedBreaker() {
        StatefulConnection<byte[], byte[]> current = connection;
        return current != null && current.isOpen() && breaker.state() == CircuitBreaker.State.CLOSED;
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
            return CompletableFuture.failedFuture(new RedisConnectionException("not connected to " + description));
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
            throw new RedisConnectionException("not connected to " + description);
        }
        return manager;
    }

    public RedisConfig config() {
        return config;
    }

    public Health health() {
        return health;
    }

    public CircuitBreaker.State breakerState() {
        return breaker.state();
    }

    /** Waits up to {@code timeout} for the first connection attempt to end; true if it has. */
    public boolean awaitFirstAttempt(Duration timeout) throws InterruptedException {
        return firstAttempt.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        retries.shutdownNow();
        StatefulConnection<byte[], byte[]> current = connection;
        if (current != null) {
            current.closeAsync();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return description;
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
