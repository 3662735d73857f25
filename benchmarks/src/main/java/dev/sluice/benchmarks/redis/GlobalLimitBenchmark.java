package dev.sluice.benchmarks.redis;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.limit.Decision;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.match.RequestView;
import dev.sluice.sidecar.redis.RedisStore;
import dev.sluice.sidecar.redis.RedisStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Global limits through Redis, strategy by strategy: several sidecars' limiters (each with its own
 * Redis connection, as separate pods have) decide requests for one shared limit as fast as they can,
 * with a bounded number of decisions in flight each, as the I/O threads of a busy sidecar would.
 * Reports decisions per second per sidecar, Redis commands per decision (Redis's own
 * {@code INFO commandstats}) and how far the admitted total is from what the limit allows.
 *
 * <p>Not a test: run by hand, on a quiet machine (see docs/benchmarks.md).
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.redis.GlobalLimitBenchmark \
 *     [--sidecars 3] [--seconds 10] [--in-flight 64] [--redis host:port]
 * </pre>
 * Three scenarios: one hot key offered far more than its limit, one key offered less than its limit
 * (every decision admitted), and 1,000 keys each over its limit.
 * Without {@code --redis}, it starts {@code redis-server} on a free loopback port and stops it after.
 */
public final class GlobalLimitBenchmark {
    private static final Set<String> HOUSEKEEPING = Set.of("info", "config", "flushall", "ping", "client", "hello", "command",
            "select", "auth", "cluster", "dbsize");

    private record Variant(String name, String strategy, int leasePercent) {
    }

    /** {@code saturating}: offered more than the limit, so that the admitted total shows the limit's accuracy. */
    private record Scenario(String name, int keys, int rate, boolean saturating) {
    }

    private record Result(Variant variant, long decisions, long admitted, long fallbacks, long commands, long roundTrips, double seconds,
                          long allowed) {
    }

    public static void main(String[] args) throws Exception {
        int sidecars = intOption(args, "--sidecars", 3);
        int seconds = intOption(args, "--seconds", 10);
        int inFlight = intOption(args, "--in-flight", 64);
        String address = option(args, "--redis", null);
        List<Variant> variants = List.of(
                new Variant("Bucket4j (CAS, batching)", "Bucket4j", 1),
                new Variant("Script (take.lua per decision)", "Script", 1),
                new Variant("Lease, leasePercent 1", "Lease", 1),
                new Variant("Lease, leasePercent 10", "Lease", 10));

        Process server = null;
        Path directory = Files.createTempDirectory("sluice-redis-bench");
        if (address == null) {
            int port = freePort();
            server = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", directory.toString())
                    .redirectErrorStream(true).redirectOutput(directory.resolve("redis.log").toFile()).start();
            address = "127.0.0.1:" + port;
            awaitListening(port);
        }
        try (RedisAdmin admin = new RedisAdmin(address)) {
            List<Scenario> scenarios = List.of(
                    new Scenario("one hot key, offered far more than its limit of 5,000/s", 1, 5_000, true),
                    new Scenario("one key under its limit of 10,000,000/s (every decision admitted)", 1, 10_000_000, false),
                    new Scenario("1,000 keys, each offered more than its limit of 50/s", 1_000, 50, true));
            System.out.printf(Locale.ROOT, "%d sidecars, %d decisions in flight each, %d s per strategy and scenario, Redis %s%n",
                    sidecars, inFlight, seconds, admin.version());
            System.out.printf(Locale.ROOT, "machine: %d cores, load average %s before the run%n",
                    Runtime.getRuntime().availableProcessors(), loadAverage());
            // A first, short round warms the JVM up; it is not reported.
            for (Variant variant : variants) {
                run(variant, admin, address, sidecars, 2, inFlight, scenarios.get(0));
            }
            StringBuilder tables = new StringBuilder();
            for (Scenario scenario : scenarios) {
                System.out.println(scenario.name());
                tables.append("\n").append(scenario.name()).append(" (burst: a tenth of a second's worth)\n\n")
                        .append("| strategy | decisions/s per sidecar | round trips per decision | Redis commands per decision | admitted / allowed | store failures |\n")
                        .append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
                for (Variant variant : variants) {
                    Result result = run(variant, admin, address, sidecars, seconds, inFlight, scenario);
                    tables.append(String.format(Locale.ROOT, "| %s | %,.0f | %.4f | %.4f | %s | %d |%n", result.variant().name(),
                            result.decisions() / result.seconds() / sidecars,
                            (double) result.roundTrips() / result.decisions(),
                            (double) result.commands() / result.decisions(),
                            scenario.saturating() ? String.format(Locale.ROOT, "%+.2f%%", 100.0 * ((double) result.admitted() / result.allowed() - 1))
                                    : "n/a", result.fallbacks()));
                }
            }
            System.out.printf(Locale.ROOT, "machine: load average %s after the run%n", loadAverage());
            System.out.println(tables);
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Result run(Variant variant, RedisAdmin admin, String address, int sidecars, int seconds, int inFlight, Scenario scenario)
            throws Exception {
        int rate = scenario.rate();
        int keys = scenario.keys();
        admin.command("FLUSHALL");
        admin.command("CONFIG", "RESETSTAT");
        String config = """
                redis: {addresses: ['%s'], strategy: %s, leasePercent: %d, timeout: 1s}
                policies:
                  - name: api
                    namespace: bench
                    scope: Global
                    failureMode: Closed
                    replicas: %d
                    rules:
                      - name: shared
                        key: [{type: Header, header: X-Client}]
                        limits: [{requests: %d, period: 1s, burst: %d}]
                """.formatted(address, variant.strategy(), variant.leasePercent(), sidecars, rate, rate / 10);
        List<RedisStores> stores = new ArrayList<>();
        List<RateLimiter> limiters = new ArrayList<>();
        List<SimpleMeterRegistry> registries = new ArrayList<>();
        for (int i = 0; i < sidecars; i++) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            RedisStores store = new RedisStores(null, LimiterClock.SYSTEM, registry);
            limiters.add(RateLimiter.compile(ConfigLoader.parse(config), null, RateLimiter.empty(LimiterClock.SYSTEM, store), registry,
                    LimiterClock.SYSTEM));
            RedisStore current = store.current();
            current.awaitFirstAttempt(java.time.Duration.ofSeconds(10));
            if (current.health().state() != RedisStore.State.CONNECTED) {
                throw new IllegalStateException("sidecar " + i + " could not connect: " + current.health().message());
            }
            stores.add(store);
            registries.add(registry);
        }
        LongAdder decisions = new LongAdder();
        LongAdder admitted = new LongAdder();
        RedisAdmin.Counts before = admin.counts(HOUSEKEEPING);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> drivers = new ArrayList<>();
        for (RateLimiter limiter : limiters) {
            Thread driver = new Thread(() -> drive(limiter, deadline, inFlight, keys, decisions, admitted), "driver");
            drivers.add(driver);
            driver.start();
        }
        for (Thread driver : drivers) {
            driver.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        RedisAdmin.Counts after = admin.counts(HOUSEKEEPING);
        long commands = after.all() - before.all();
        long roundTrips = after.fromClients() - before.fromClients();
        long fallbacks = 0;
        for (SimpleMeterRegistry registry : registries) {
            fallbacks += (long) registry.get("rate_limit_fallback").counter().count();
        }
        stores.forEach(RedisStores::close);
        // Every key starts full (burst) and refills at the rate for as long as the run lasted.
        long allowed = (long) keys * (rate / 10 + (long) Math.floor(rate * elapsed));
        System.out.printf(Locale.ROOT, "  %-32s %ds: %,d decisions, %,d admitted of %,d allowed, %,d round trips, %,d Redis commands%n",
                variant.name(), seconds, decisions.sum(), admitted.sum(), allowed, roundTrips, commands);
        return new Result(variant, decisions.sum(), admitted.sum(), fallbacks, commands, roundTrips, elapsed, allowed);
    }

    /** One sidecar's traffic: at most {@code inFlight} decisions at once, each started as soon as one ends. */
    private static void drive(RateLimiter limiter, long deadline, int inFlight, int keys, LongAdder decisions, LongAdder admitted) {
        Semaphore permits = new Semaphore(inFlight);
        List<RequestView> requests = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            requests.add(new ClientRequest("client-" + k));
        }
        AtomicLong next = new AtomicLong();
        try {
            while (System.nanoTime() < deadline) {
                permits.acquire();
                Decision decision = new Decision();
                RequestView request = requests.get((int) (next.getAndIncrement() % keys));
                if (!limiter.evaluate(request, decision) || !decision.deferred()) {
                    decisions.increment();
                    if (decision.rejectedBy() == null && decision.unavailableRule() == null) {
                        admitted.increment();
                    }
                    permits.release();
                    continue;
                }
                limiter.complete(decision).whenComplete((passes, error) -> {
                    decisions.increment();
                    if (Boolean.TRUE.equals(passes)) {
                        admitted.increment();
                    }
                    permits.release();
                });
            }
            permits.acquire(inFlight);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record ClientRequest(String client) implements RequestView {
        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String path() {
            return "/";
        }

        @Override
        public String header(String name) {
            return "X-Client".equalsIgnoreCase(name) ? client : null;
        }

        @Override
        public List<String> headerLines(String name) {
            return "X-Client".equalsIgnoreCase(name) ? List.of(client) : List.of();
        }

        @Override
        public byte[] peerAddress() {
            return new byte[] {127, 0, 0, 1};
        }

        @Override
        public String peerAddressText() {
            return "127.0.0.1";
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ", 4)[0] + " "
                    + Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ", 4)[1];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static int intOption(String[] args, String name, int fallback) {
        return Integer.parseInt(option(args, name, String.valueOf(fallback)));
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitListening(int port) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 100);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port + " (is Debian's redis-server installed?)");
    }
}
