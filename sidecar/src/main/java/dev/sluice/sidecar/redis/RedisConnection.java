package dev.sluice.sidecar.redis;

import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.RedisAddress;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RedisMode;
import dev.sluice.api.config.RedisTlsConfig;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection of one {@code redis} section: a Lettuce client for its topology (standalone,
 * Sentinel or Cluster), with its password and TLS, and one multiplexed connection. Connecting never
 * blocks a caller: until the first connection succeeds (retried with backoff) {@link #open()} is
 * false; after it, Lettuce reconnects by itself and commands fail at once while disconnected. What is
 * sent on the connection is {@link RedisStore}'s.
 */
final class RedisConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConnection.class);
    private static final long MAX_RETRY_DELAY_MILLIS = 30_000;

    private final RedisConfig config;
    private final RedisPassword environmentPassword;
    private final Duration timeout;
    private final StoreMeters meters;
    private final Consumer<StatefulConnection<byte[], byte[]>> onConnected;
    private final String description;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final ScheduledExecutorService retries;
    private final CountDownLatch firstAttempt = new CountDownLatch(1);
    private volatile StatefulConnection<byte[], byte[]> connection;
    private volatile RedisStore.Health health;
    private volatile boolean closed;
    private long retryDelayMillis = 1_000;

    /**
     * @param timeout the commands' timeout
     * @param onConnected prepares what is sent on a new connection, before it counts as connected
     */
    RedisConnection(RedisConfig config, RedisPassword environmentPassword, Duration timeout, StoreMeters meters,
                    Consumer<StatefulConnection<byte[], byte[]>> onConnected) {
        this.config = config;
        this.environmentPassword = environmentPassword;
        this.timeout = timeout;
        this.meters = meters;
        this.onConnected = onConnected;
        int defaultPort = config.mode() == RedisMode.Sentinel ? RedisConfig.DEFAULT_SENTINEL_PORT : RedisConfig.DEFAULT_PORT;
        List<RedisAddress> addresses = config.addresses().stream().map(a -> RedisAddress.parse(a, defaultPort)).toList();
        this.description = switch (config.mode()) {
            case Standalone -> "Redis at " + addresses.get(0);
            case Sentinel -> "Redis master '" + config.sentinelMaster() + "' through sentinels " + addresses;
            case Cluster -> "Redis Cluster seeded by " + addresses;
        };
        this.health = new RedisStore.Health(RedisStore.State.CONNECTING, "connecting to " + description);
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
    }

    /** Starts the first connection attempt. */
    void start() {
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
                            .thenCompose(RedisConnection::connectToEveryNode)
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

    private void connected(StatefulConnection<byte[], byte[]> connected) {
        if (closed) {
            connected.closeAsync();
            return;
        }
        onConnected.accept(connected);
        connection = connected;
        health = new RedisStore.Health(RedisStore.State.CONNECTED, null);
        LOG.info("connected to {} (strategy {}, timeout {})", description, config.strategy(), config.timeout());
    }

    private void failedToConnect(Throwable error) {
        RedisErrors.Reason reason = RedisErrors.reason(error);
        String message = RedisErrors.message(error);
        RedisStore.Health previous = health;
        if (reason == RedisErrors.Reason.AUTH) {
            String user = config.username() == null ? "default" : config.username();
            health = new RedisStore.Health(RedisStore.State.AUTH_FAILED, description + " refused the credentials of user '" + user + "': " + message
                    + " (the password comes from " + (config.passwordFile() != null ? "redis.passwordFile " + config.passwordFile()
                    : environmentPassword != null ? "the environment variable " + RedisPassword.ENVIRONMENT_VARIABLE
                    : "nowhere: set redis.passwordFile or " + RedisPassword.ENVIRONMENT_VARIABLE) + ")");
        } else {
            health = new RedisStore.Health(RedisStore.State.UNREACHABLE, "cannot connect to " + description + ": " + message);
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

    /** Whether the connection is up now. */
    boolean open() {
        StatefulConnection<byte[], byte[]> current = connection;
        return current != null && current.isOpen();
    }

    RedisStore.Health health() {
        return health;
    }

    String description() {
        return description;
    }

    /** Waits up to {@code timeout} for the first connection attempt to end; true if it has. */
    boolean awaitFirstAttempt(Duration timeout) throws InterruptedException {
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
}
