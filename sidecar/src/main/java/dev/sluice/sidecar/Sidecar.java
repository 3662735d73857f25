package dev.sluice.sidecar;

import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.admin.AdminHandlers;
import dev.sluice.sidecar.admin.Report;
import dev.sluice.sidecar.backpressure.ParkingLot;
import dev.sluice.sidecar.config.ConfigWatcher;
import dev.sluice.sidecar.drain.Drain;
import dev.sluice.sidecar.drain.DrainEndpoint;
import dev.sluice.sidecar.drain.DrainHandler;
import dev.sluice.sidecar.enforce.Enforcement;
import dev.sluice.sidecar.enforce.EnforcementCompiler;
import dev.sluice.sidecar.enforce.InForce;
import dev.sluice.sidecar.http.BackpressureHandler;
import dev.sluice.sidecar.http.Enforced;
import dev.sluice.sidecar.http.EnforcedHandler;
import dev.sluice.sidecar.http.Forwarder;
import dev.sluice.sidecar.http.ProxyOverhead;
import dev.sluice.sidecar.http.RateLimitHandler;
import dev.sluice.sidecar.http.RequestMetricsHandler;
import dev.sluice.sidecar.http.UpstreamClient;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.redis.RedisPassword;
import dev.sluice.sidecar.redis.RedisStore;
import dev.sluice.sidecar.redis.RedisStores;
import dev.sluice.sidecar.route.OutboundRoutes;
import dev.sluice.sidecar.watch.ConfigMapWatch;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.protocol.http2.Http2UpgradeHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.management.XnioServerMXBean;

/**
 * One sidecar: a traffic port that enforces the configured limits in front of the app, and an admin
 * port. {@link #start()} loads the configuration first and refuses to start on an invalid one; the admin
 * port (and so {@code /healthz}, an injected sidecar's startup probe) answers only once it is loaded.
 */
public final class Sidecar implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sidecar.class);
    private static final long UNLIMITED_BODY = -1L;
    /** The traffic port's server options, given to the builder and again with HTTP/2 once it is up. */
    private static final OptionMap TRAFFIC_OPTIONS = OptionMap.builder()
            .set(UndertowOptions.RECORD_REQUEST_START_TIME, true)
            // Undertow caps request bodies at 2 MiB by default; how large a body may be is the app's call.
            .set(UndertowOptions.MAX_ENTITY_SIZE, UNLIMITED_BODY)
            .getMap();

    private final SidecarSettings settings;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RedisStores redisStores;
    private final OutboundRoutes routes;
    private final UpstreamClient app;
    private final InForce inForce;
    private final ConfigWatcher watcher;
    private final Drain drain;
    /** The watch on the configuration's ConfigMap; null without {@code --config-watch}. */
    private final ConfigMapWatch configMapWatch;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String version = SidecarVersion.current();
    private Undertow traffic;
    private Undertow admin;
    private GracefulShutdownHandler gracefulShutdown;
    private volatile boolean serving;
    /** The I/O buffers; null until {@link #start} sizes them from the JVM's direct memory, unless a test set them. */
    private IoBufferPool ioBuffers;

    public Sidecar(SidecarSettings settings) {
        this(settings, LimiterClock.SYSTEM, null);
    }

    /** {@code redisPassword} (from {@code SLUICE_REDIS_PASSWORD}) authenticates to Redis unless the config names a password file. */
    public Sidecar(SidecarSettings settings, LimiterClock limiterClock, RedisPassword redisPassword) {
        this.settings = settings;
        this.redisStores = new RedisStores(redisPassword, limiterClock, registry);
        this.routes = new OutboundRoutes(registry, limiterClock);
        // One pool of connections to the app, for guarded and unguarded requests alike; the compiler closes it.
        this.app = UpstreamClient.inbound(settings.upstream(), settings.connectionsPerThread());
        this.inForce = new InForce(new EnforcementCompiler(app, settings.upstreamTimeout(), settings.connectionsPerThread(),
                registry, limiterClock, redisStores, routes));
        this.watcher = new ConfigWatcher(settings.configFile(), settings.configOptional(), settings.podLabelsFile(), registry, Clock.systemUTC(), inForce);
        this.drain = new Drain(Clock.systemUTC(), registry);
        this.configMapWatch = settings.configWatch() == null ? null : new ConfigMapWatch(settings.configWatch(), watcher::offer, registry);
    }

    /** The I/O buffers to use instead of those the JVM's direct memory holds: a few, for a test to run out of them. */
    Sidecar withIoBuffers(IoBufferPool buffers) {
        this.ioBuffers = buffers;
        return this;
    }

    public Sidecar start() throws InvalidConfigException {
        watcher.loadInitial();
        awaitRedis();

        Forwarder forwarder = Forwarder.toApp(app, settings.upstreamTimeout(), settings.upgradeIdleTimeout(), new ProxyOverhead(registry));
        OverloadCaps caps = settings.caps();
        ParkingLot parking = new ParkingLot(caps.maxParked());
        Gauge.builder("sluice_parked_requests", parking, ParkingLot::parked)
                .description("Requests waiting at the concurrency gates, over every policy (at most --max-parked)").register(registry);
        gracefulShutdown = Handlers.gracefulShutdown(trafficChain(inForce, forwarder, registry, parking));
        IoBufferPool buffers = ioBuffers != null ? ioBuffers : IoBufferPool.forThisJvm();
        registerBufferMeters(buffers);
        // Outermost, so that even the 503s of a shutdown close their connection.
        HttpHandler root = new DrainHandler(drain, gracefulShutdown);
        boolean h2cApp = "h2c".equals(settings.upstream().getScheme());
        if (h2cApp) {
            // An offer to upgrade (Upgrade: h2c) is taken only when the app speaks HTTP/2 itself. An HTTP/1.1 app answered
            // such offers in HTTP/1.1 before it had a sidecar, and so does its sidecar: a client is not moved to HTTP/2 behind
            // its back. The JDK's HttpClient offers it on every http:// connection; taken, its one HTTP/2 connection would
            // carry all its requests to one pod of the Service where its HTTP/1.1 pool spread them over several.
            root = new Http2UpgradeHandler(root);
        }
        traffic = Undertow.builder()
                .addHttpListener(settings.port(), settings.bindAddress())
                .setByteBufferPool(buffers)
                // At the cap, XNIO's accept thread stops accepting (connections wait in the kernel's backlog, holding no
                // descriptor of ours) and starts again as soon as one closes: low water at the cap, since resuming
                // accepts costs nothing and a lower mark would only leave the backlog waiting longer.
                .setSocketOption(Options.CONNECTION_HIGH_WATER, caps.maxConnections())
                .setSocketOption(Options.CONNECTION_LOW_WATER, caps.maxConnections())
                .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, TRAFFIC_OPTIONS.get(UndertowOptions.RECORD_REQUEST_START_TIME))
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, TRAFFIC_OPTIONS.get(UndertowOptions.MAX_ENTITY_SIZE))
                .setHandler(root)
                .build();
        admin = Undertow.builder()
                .addHttpListener(settings.adminPort(), settings.bindAddress())
                .setIoThreads(1)
                .setWorkerThreads(2)
                .setByteBufferPool(buffers)
                .setHandler(AdminHandlers.create(inForce, watcher, configMapWatch == null ? null : configMapWatch::status, routes, registry,
                        () -> serving,
                        () -> drain.draining() ? "draining" : redisStores.notReadyReason(), new DrainEndpoint(drain, settings.drainToken()),
                        () -> Report.of(version, inForce.get(), watcher.lastFailure(), drain.draining())))
                .build();
        admin.start();
        traffic.start();
        acceptHttp2PriorKnowledge(traffic);
        registerConnectionGauges(caps);
        routes.start(traffic.getWorker());
        watcher.watch(settings.reloadInterval());
        if (configMapWatch != null) {
            configMapWatch.start();
        }
        serving = true;
        // The JVM's own meters once the sidecar serves: nothing before ready needs them, and binding them
        // (notification listeners on every collector, the operating system's bean) is start-up time.
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        LOG.info("sidecar {} (document version {}) serving on {} in front of {}, admin on {}; at most {} client connections and {}"
                + " waiting requests", version, SidecarConfig.DOCUMENT_VERSION, address(traffic), settings.upstream(), address(admin),
                caps.maxConnections(), caps.maxParked());
        return this;
    }

    /**
     * The traffic port's handlers, from a request's arrival to its forwarding. What is in force is read once
     * per request, by the rate limits, and handed down as one snapshot: a reload never splits a request
     * ({@code InForceReadOnceIT} counts the reads).
     */
    static HttpHandler trafficChain(Supplier<? extends Enforced> inForce, EnforcedHandler forwarder, MeterRegistry registry,
            ParkingLot parking) {
        return new RequestMetricsHandler(registry, new RateLimitHandler(inForce, new BackpressureHandler(forwarder, parking)));
    }

    /**
     * The traffic port's open client connections, as XNIO counts them against the cap (the outbound routes' listeners,
     * on the same worker, are not counted). XNIO counts on each I/O thread and waits for the answers, so only threads
     * outside the traffic worker (the admin port's, a scrape's) read it.
     */
    private void registerBufferMeters(IoBufferPool buffers) {
        Gauge.builder("sluice_io_buffers_direct_in_use", buffers, IoBufferPool::directInUse)
                .description("Direct I/O buffers in use (requests being read or written, HTTP/2 frames queued)").register(registry);
        Gauge.builder("sluice_io_buffers_direct_max", buffers, IoBufferPool::budget)
                .description("The most direct I/O buffers the sidecar makes, from -XX:MaxDirectMemorySize").register(registry);
        Gauge.builder("sluice_io_buffer_size_bytes", buffers, IoBufferPool::size)
                .description("The size of one I/O buffer").register(registry);
        FunctionCounter.builder("sluice_io_buffers_spilled", buffers, IoBufferPool::spilled)
                .description("I/O buffers taken from the heap because every direct one was in use").register(registry);
    }

    private void registerConnectionGauges(OverloadCaps caps) {
        String port = ":" + port();
        traffic.getWorker().getMXBean().getServerMXBeans().stream()
                .filter(server -> server.getBindAddress().endsWith(port))
                .findFirst()
                .ifPresent(server -> Gauge.builder("sluice_connections_open", server, XnioServerMXBean::getConnectionCount)
                        .description("Client connections open on the traffic port (at most --max-connections)").register(registry));
        Gauge.builder("sluice_connections_max", caps, OverloadCaps::maxConnections)
                .description("The most client connections the traffic port holds (--max-connections)").register(registry);
    }

    /**
     * Gives the first connection to Redis (when a Global policy applies) the time to succeed or fail,
     * so that refused credentials are reported before the sidecar says it serves; it serves either way.
     */
    private void awaitRedis() {
        RedisStore store = redisStores.current();
        if (store == null) {
            return;
        }
        try {
            Duration wait = LimitPeriod.parseDuration(store.config().connectTimeout()).plusSeconds(1);
            if (!store.awaitFirstAttempt(wait)) {
                LOG.warn("no answer from {} within {}; Global policies apply their failure mode until it connects", store, wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The Redis stores of Global policies. */
    public RedisStores redisStores() {
        return redisStores;
    }

    public int port() {
        return address(traffic).getPort();
    }

    public int adminPort() {
        return address(admin).getPort();
    }

    /** Everything in force now. */
    public Enforcement enforcement() {
        return inForce.get();
    }

    /** Whether the sidecar drains ({@code /drain} was called, or it is stopping). */
    public boolean draining() {
        return drain.draining();
    }

    /**
     * Drains (readiness fails, every response closes its connection), stops taking requests, lets those in
     * flight finish within the grace period, then stops. Once; later calls do nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        drain.start("stopping");
        serving = false;
        if (configMapWatch != null) {
            configMapWatch.close();
        }
        watcher.close();
        if (gracefulShutdown != null) {
            gracefulShutdown.shutdown();
            try {
                if (!gracefulShutdown.awaitShutdown(settings.shutdownGrace().toMillis())) {
                    LOG.warn("requests still in flight after {}; stopping anyway", settings.shutdownGrace());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        routes.close();
        inForce.close();
        if (traffic != null) {
            traffic.stop();
        }
        if (admin != null) {
            admin.stop();
        }
        redisStores.close();
        registry.close();
    }

    /**
     * HTTP/2 in cleartext beside HTTP/1.1 on the traffic port, for clients that come with prior knowledge (every gRPC
     * client, curl --http2-prior-knowledge): each stream is a request of its own to every handler (docs/protocols.md).
     * Undertow's builder has one switch for this and for taking {@code Upgrade: h2c} offers (it wraps the root handler in
     * its upgrade handler); the sidecar takes offers only for an h2c app, so the builder is left without it and the
     * listener's options get it once it is up: the builder's own (its default request timeout, pipelined data
     * buffered, then the traffic port's), and HTTP/2.
     */
    private static void acceptHttp2PriorKnowledge(Undertow server) {
        server.getListenerInfo().get(0).setServerOptions(OptionMap.builder()
                .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
                .addAll(TRAFFIC_OPTIONS)
                .set(UndertowOptions.ENABLE_HTTP2, true)
                .getMap());
    }

    private static InetSocketAddress address(Undertow server) {
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }
}
