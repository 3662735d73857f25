package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The sidecar's proxy path against nginx's, on loopback, in interleaved rounds: the same upstream (an nginx worker
 * answering a small 200) reached directly, through nginx with {@code limit_req}, and through the Sluice sidecar with
 * the same limits. nginx and the sidecar are pinned to the same CPUs, wrk, vegeta, the upstream and redis-server
 * to the others, so that the comparison measures the proxies rather than the scheduler. wrk gives each target's
 * maximum throughput; vegeta then sends each the same constant rate (half nginx's maximum of the round) for
 * latency percentiles. CPU seconds per 100,000 requests come from /proc, the proxies' own. The gRPC modes do the same
 * with unary gRPC calls: grpc-go's benchmark server as the upstream, nginx's {@code grpc_pass} against the sidecar's
 * {@code --upstream h2c://}, and a grpc-go client ({@link GrpcLoad}) in closed loop, then open loop, instead of wrk and
 * vegeta.
 *
 * <p>Not a test: run by hand (docs/benchmarks.md, "Proxy path against nginx"); {@link Options#USAGE} lists the flags.
 */
public final class ProxyComparison {
    /**
     * The JIT's thresholds count invocations, not seconds (C2 compiles a method after about 5,000 to 15,000 calls):
     * the sidecar is warmed up with this many requests, which a quiet core serves in a few seconds...
     */
    private static final long WARM_UP_REQUESTS = 50_000;
    /** ...and for at most this long, on a machine so busy that it would take minutes. */
    private static final long WARM_UP_MAX_SECONDS = 30;
    /** A pause between measurements, so that what one left in the proxies' queues is not counted in the next. */
    private static final long SETTLE_MILLIS = 500;

    private final Options options;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Path work;

    private ProxyComparison(Options options) throws IOException {
        this.options = options;
        this.work = Files.createTempDirectory("sluice-proxy-comparison");
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(Options.USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ProxyComparison: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(64);
            return;
        }
        ProxyComparison comparison = new ProxyComparison(options);
        // Ctrl-C or a failure must not leave nginx, a sidecar, redis-server or a memory cgroup behind.
        Thread cleanup = new Thread(comparison::stopAll, "proxy-comparison-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            comparison.run();
            comparison.deleteWork();
        } catch (IllegalStateException | IOException e) {
            // An exception without a message (an EOFException of the JDK's HttpClient) says nothing without its class and stack.
            System.err.println("ProxyComparison: " + (e.getMessage() != null ? e.getMessage() : e.toString()) + comparison.keptWork());
            if (e.getMessage() == null) {
                e.printStackTrace();
            }
            comparison.stopAll();
            System.exit(1);
        } finally {
            comparison.stopAll();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private void run() throws IOException, InterruptedException {
        boolean http = options.modes().stream().anyMatch(mode -> !mode.grpc());
        boolean grpc = options.modes().stream().anyMatch(Mode::grpc);
        for (Tools tool : List.of(Tools.TASKSET, Tools.NGINX)) {
            tool.path();
        }
        if (http) {
            Tools.WRK.path();
            Tools.VEGETA.path();
        }
        if (grpc) {
            Tools.GRPC_BENCH.path();
        }
        if (options.modes().stream().anyMatch(Mode::needsRedis)) {
            Tools.REDIS.path();
        }
        if (!Files.isRegularFile(options.sidecarJar())) {
            throw new IllegalStateException("no sidecar jar at " + options.sidecarJar()
                    + ": build it with mvn -o -q package -DskipTests -P '!images' -pl sidecar -am, or pass --sidecar-jar");
        }
        List<String> javaOptions = options.sidecarJavaOptions() != null ? options.sidecarJavaOptions()
                : SidecarProcess.shippedJavaOptions(options.checkout());
        Machine machine = Machine.describe(options, javaOptions);
        System.out.println(machine.header());

        Load load = new Load(
                http ? keep(Nginx.upstream(work.resolve("upstream"), Ports.free(), options.loadCpus())) : null,
                grpc ? keep(GrpcServer.start(work.resolve("grpc-upstream"), Ports.free(), options.loadCpus())) : null,
                http ? new Wrk(options.connections(), options.loadCpus(), work) : null,
                http ? new Vegeta(options.loadCpus(), work) : null,
                grpc ? new GrpcLoad(options.connections(), options.loadCpus()) : null);
        List<ModeResult> results = new ArrayList<>();
        for (Mode mode : options.modes()) {
            results.add(runMode(mode, load, javaOptions));
        }
        String report = Report.of(results, options, machine);
        System.out.println();
        System.out.println(report);
        System.out.printf(Locale.ROOT, "load average after the run: %s%n", Machine.loadAverage());
        // A mode whose sidecar was killed before its first round has nothing to draw.
        List<ModeResult> measured = results.stream().filter(result -> !result.rounds.isEmpty()).toList();
        if (options.svg() != null && !measured.isEmpty()) {
            Files.createDirectories(options.svg().getParent());
            Files.writeString(options.svg(), SvgPlot.of(measured, options, machine), StandardCharsets.UTF_8);
            System.out.println("plot written to " + options.svg());
        }
    }

    /**
     * The upstreams and load generators of the run, each present when a mode needs it: the HTTP modes' upstream nginx,
     * wrk and vegeta; the gRPC modes' grpc-go server and client.
     */
    private record Load(Nginx httpUpstream, GrpcServer grpcUpstream, Wrk wrk, Vegeta vegeta, GrpcLoad grpc) {
        /** The sidecar's {@code --upstream}: HTTP/2 with prior knowledge to a gRPC server. */
        String sidecarUpstream(Mode mode) {
            return mode.grpc() ? "h2c://127.0.0.1:" + grpcUpstream.port : "http://127.0.0.1:" + httpUpstream.port;
        }

        int upstreamPort(Mode mode) {
            return mode.grpc() ? grpcUpstream.port : httpUpstream.port;
        }

        /** What the load generators are pointed at: a URL for wrk and vegeta, host:port for the gRPC client. */
        String target(Mode mode, int port) {
            return mode.grpc() ? "127.0.0.1:" + port : "http://127.0.0.1:" + port + "/";
        }

        long warmUp(Mode mode, String target, int seconds) throws IOException, InterruptedException {
            return mode.grpc() ? grpc.maximum(target, seconds).calls() : wrk.run(target, seconds, mode.distinctClients()).requests();
        }
    }

    private ModeResult runMode(Mode mode, Load load, List<String> javaOptions) throws IOException, InterruptedException {
        System.out.printf(Locale.ROOT, "%n%s: %s%n", mode.id, mode.description);
        ModeResult result = new ModeResult(mode);
        Path directory = work.resolve(mode.id);
        Files.createDirectories(directory);
        RedisServer redis = mode.needsRedis() ? keep(RedisServer.start(directory.resolve("redis"), options.loadCpus())) : null;
        String redisAddress = redis == null ? null : "127.0.0.1:" + redis.port;
        MemoryCgroup cgroup = null;
        if (options.memoryLimitBytes() > 0) {
            cgroup = keep(MemoryCgroup.create("sluice-proxy-comparison-" + ProcessHandle.current().pid() + "-" + mode.id,
                    options.memoryLimitBytes()));
        }
        List<String> sidecarOptions = new ArrayList<>(javaOptions);
        Path recording = null;
        if (options.jfrDirectory() != null) {
            Files.createDirectories(options.jfrDirectory());
            recording = options.jfrDirectory().resolve("sidecar-" + mode.id + ".jfr");
            // Undertow's and XNIO's stacks are deep: the default 64 frames would often cut off the sidecar's own code.
            sidecarOptions.add("-XX:FlightRecorderOptions=stackdepth=128");
        }
        long starting = System.nanoTime();
        SidecarProcess sidecar = keep(SidecarProcess.start(directory.resolve("sidecar"), options.sidecarJar(), sidecarOptions, mode,
                redisAddress, load.sidecarUpstream(mode), options.proxyCpus(), cgroup));
        result.sidecarReadySeconds = (System.nanoTime() - starting) / 1e9;
        int upstreamPort = load.upstreamPort(mode);
        Nginx nginx = keep(mode.grpc()
                ? Nginx.grpcProxy(directory.resolve("nginx"), Ports.free(), upstreamPort, mode, options.proxyCpus())
                : Nginx.proxy(directory.resolve("nginx"), Ports.free(), upstreamPort, mode, options.proxyCpus()));
        result.nginxWorkers = nginx.workers();
        Map<Target, String> targets = new EnumMap<>(Target.class);
        targets.put(Target.DIRECT, load.target(mode, upstreamPort));
        targets.put(Target.NGINX, load.target(mode, nginx.port));
        targets.put(Target.SLUICE, load.target(mode, sidecar.port));

        // Warm-up, not reported: the sidecar's JIT compiles its request path, both proxies open their upstream connections.
        long warmUp = 0;
        long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_UP_MAX_SECONDS);
        try {
            while (warmUp < WARM_UP_REQUESTS && System.nanoTime() < warmUpEnd && sidecar.process.isAlive()) {
                warmUp += load.warmUp(mode, targets.get(Target.SLUICE), 2);
            }
            load.warmUp(mode, targets.get(Target.NGINX), 1);
        } catch (IOException e) {
            if (sidecar.process.isAlive()) {
                throw e;
            }
        }
        System.out.printf(Locale.ROOT, "  warm-up: %,d %s through the sidecar%s%n", warmUp, mode.grpc() ? "calls" : "requests",
                warmUp < WARM_UP_REQUESTS && sidecar.process.isAlive()
                        ? " (cut at " + WARM_UP_MAX_SECONDS + " s: its JIT may not have compiled the request path yet)" : "");

        // The kernel kills a sidecar past its cgroup's limit, under load or just after: the mode is then reported as killed.
        boolean alive = sidecar.process.isAlive();
        if (recording != null && alive) {
            // Recorded from here on: the warm request path under load, not the start-up and the JIT's first minutes.
            sidecar.startRecording(recording);
        }
        double sidecarCpu = alive ? sidecar.cpuSeconds() : 0;
        double gcCpu = alive ? sidecar.gcThreadCpuSeconds() : 0;
        double gcPause = alive ? sidecar.gcPauseSeconds() : 0;
        if (!sidecar.process.isAlive()) {
            ended(sidecar, cgroup, mode, "during its warm-up");
        }
        for (int r = 0; r < options.rounds() && sidecar.process.isAlive(); r++) {
            try {
                result.rounds.add(round(r, targets, nginx, sidecar, load, mode));
            } catch (IOException e) {
                if (sidecar.process.isAlive()) {
                    throw e;
                }
            }
            if (!sidecar.process.isAlive()) {
                ended(sidecar, cgroup, mode, "in round " + (r + 1));
            }
        }
        if (sidecar.process.isAlive()) {
            result.sidecarRss = sidecar.rssBytes();
            result.sidecarCpuSeconds = sidecar.cpuSeconds() - sidecarCpu;
            result.gcThreadCpuSeconds = sidecar.gcThreadCpuSeconds() - gcCpu;
            double pauses = sidecar.gcPauseSeconds();
            result.gcPauseSeconds = pauses < 0 ? -1 : pauses - Math.max(0, gcPause);
        }
        if (cgroup != null) {
            result.cgroupPeak = cgroup.peakBytes();
            result.oomKills = cgroup.oomKills();
        }
        if (recording != null && sidecar.process.isAlive()) {
            sidecar.stopRecording();
            System.out.println("JFR recording of the rounds written to " + recording);
        }
        // The sidecar before its cgroup, which can go only once it is empty.
        stop(sidecar);
        stop(nginx);
        stop(cgroup);
        stop(redis);
        return result;
    }

    private static void ended(SidecarProcess sidecar, MemoryCgroup cgroup, Mode mode, String when) {
        System.out.printf(Locale.ROOT, "the sidecar ended %s with %d%s; %s stops here%n", when, sidecar.process.exitValue(),
                cgroup != null && cgroup.oomKills() > 0 ? " (killed at the memory limit)" : "", mode.id);
    }

    /** One interleaved round: every target's maximum throughput, then every target's latency at half nginx's maximum. */
    private Round round(int r, Map<Target, String> targets, Nginx nginx, SidecarProcess sidecar, Load load, Mode mode)
            throws IOException, InterruptedException {
        Round round = new Round();
        List<Target> order = rotated(r);
        for (Target target : order) {
            Thread.sleep(SETTLE_MILLIS);
            double cpu = cpuSeconds(target, nginx, sidecar);
            Wrk.Result measured;
            if (mode.grpc()) {
                GrpcLoad.Result calls = load.grpc().maximum(targets.get(target), options.seconds());
                round.grpcAtMaximum.put(target, calls);
                measured = calls.throughput();
            } else {
                measured = load.wrk().run(targets.get(target), options.seconds(), mode.distinctClients());
            }
            round.throughput.put(target, measured);
            if (target != Target.DIRECT) {
                round.cpuAtMaximum.put(target, Round.per100k(cpuSeconds(target, nginx, sidecar) - cpu, measured.requests()));
            }
        }
        round.rate = (int) Math.max(1, Math.round(round.throughput.get(Target.NGINX).perSecond() * options.latencyShare()));
        for (Target target : order) {
            Thread.sleep(SETTLE_MILLIS);
            double cpu = cpuSeconds(target, nginx, sidecar);
            Vegeta.Result measured;
            if (mode.grpc()) {
                GrpcLoad.Result calls = load.grpc().atRate(targets.get(target), round.rate, options.seconds());
                round.grpcAtRate.put(target, calls);
                measured = calls.latency();
            } else {
                measured = load.vegeta().run(targets.get(target), round.rate, options.seconds(), mode.distinctClients());
            }
            round.latency.put(target, measured);
            if (target != Target.DIRECT) {
                round.cpuAtRate.put(target, Round.per100k(cpuSeconds(target, nginx, sidecar) - cpu, measured.requests()));
            }
        }
        System.out.println(Report.progress(r + 1, options.rounds(), round, mode));
        return round;
    }

    /** Where a failed run's logs and configurations are, if it got far enough to write any (else the empty directory goes). */
    private String keptWork() {
        try (var entries = Files.list(work)) {
            if (entries.findAny().isEmpty()) {
                Files.delete(work);
                return "";
            }
        } catch (IOException e) {
            // report the directory as kept
        }
        return " (logs and configurations kept in " + work + ")";
    }

    /** The configurations and logs of a run that went well. */
    private void deleteWork() throws IOException {
        try (var paths = Files.walk(work)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Round r starts with a different target, so that none is always measured first (or right after the same one). */
    private static List<Target> rotated(int round) {
        List<Target> order = new ArrayList<>(List.of(Target.values()));
        Collections.rotate(order, -round);
        return order;
    }

    private static double cpuSeconds(Target target, Nginx nginx, SidecarProcess sidecar) {
        return switch (target) {
            case DIRECT -> 0;
            case NGINX -> nginx.cpuSeconds();
            case SLUICE -> sidecar.cpuSeconds();
        };
    }

    private <T extends AutoCloseable> T keep(T resource) {
        synchronized (started) {
            started.push(resource);
        }
        return resource;
    }

    private void stop(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        synchronized (started) {
            started.remove(resource);
        }
        try {
            resource.close();
        } catch (Exception e) {
            System.err.println("stopping " + resource + ": " + e);
        }
    }

    /** Stops what is still running, newest first (sidecars before their cgroups); safe to call twice. */
    private void stopAll() {
        while (true) {
            AutoCloseable next;
            synchronized (started) {
                next = started.peek();
            }
            if (next == null) {
                return;
            }
            stop(next);
        }
    }
}
