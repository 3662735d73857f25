package dev.sluice.benchmarks.shed;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.benchmarks.LoadProgram;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A load program, not a test: 10× overload across three processes. An upstream of fixed capacity
 * ({@link FixedServiceUpstream}: {@code --threads} workers × {@code --service-ms}), the sidecar jar as shipped (its
 * default settings, a backpressure policy), and vegeta as the open-loop generator (a new request at each tick of a
 * constant rate, whatever the answers), a quarter each with {@code X-Priority} critical, high, normal, low. Each round
 * runs, for each sidecar jar given, a warm-up, an unloaded phase ({@code --unloaded-percent} of the upstream's
 * capacity) and the overload phase ({@code --overload} × the capacity), and prints what each measured; the summary
 * gives medians over the rounds and the goals of issue 16 (admitted p99 at most 2× unloaded, every refusal a 503 with
 * Retry-After within a millisecond, no other outcome, descriptors bounded), and the generator's own lag behind its
 * schedule, which says whether the generator kept up.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.shed.Overload [--jars this=sidecar/target/sluice-sidecar.jar,...]
 *     [--vegeta ~/go/bin/vegeta] [--rounds 2] [--seconds 20] [--unloaded-seconds 15] [--warmup-seconds 5] [--threads 20]
 *     [--service-ms 100] [--overload 10] [--unloaded-percent 10] [--mode shed|none] [--sidecar-flags "--max-connections 512"]
 * </pre>
 */
public final class Overload {
    private static final String[] PRIORITIES = {"critical", "high", "normal", "low"};
    /** Past this, the generator did not send on time and the run measures it rather than the sidecar. */
    private static final double GENERATOR_LAG_LIMIT_MS = 5;

    private Overload() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Path> jars = jars(LoadProgram.option(args, "--jars", "this=sidecar/target/sluice-sidecar.jar"));
        String vegeta = LoadProgram.option(args, "--vegeta", defaultVegeta());
        String mode = LoadProgram.option(args, "--mode", "shed");
        int rounds = Integer.parseInt(LoadProgram.option(args, "--rounds", "2"));
        int seconds = Integer.parseInt(LoadProgram.option(args, "--seconds", "20"));
        int unloadedSeconds = Integer.parseInt(LoadProgram.option(args, "--unloaded-seconds", "15"));
        int warmupSeconds = Integer.parseInt(LoadProgram.option(args, "--warmup-seconds", "5"));
        int threads = Integer.parseInt(LoadProgram.option(args, "--threads", "20"));
        int serviceMs = Integer.parseInt(LoadProgram.option(args, "--service-ms", "100"));
        int overload = Integer.parseInt(LoadProgram.option(args, "--overload", "10"));
        int unloadedPercent = Integer.parseInt(LoadProgram.option(args, "--unloaded-percent", "10"));
        List<String> sidecarFlags = Arrays.stream(LoadProgram.option(args, "--sidecar-flags", "").split(" ")).filter(s -> !s.isBlank()).toList();
        double capacity = threads * 1000.0 / serviceMs;

        Path work = Files.createTempDirectory("sluice-overload");
        Path config = work.resolve("sidecar.yaml");
        Files.writeString(config, config(mode, threads), StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "upstream capacity %.0f req/s (%d workers x %d ms); unloaded %.0f req/s for %d s, overload %.0f req/s"
                        + " (%dx) for %d s; mode %s; %d round(s); %d cores, load average %s; work files in %s%n", capacity, threads, serviceMs,
                capacity * unloadedPercent / 100, unloadedSeconds, capacity * overload, overload, seconds, mode, rounds,
                Runtime.getRuntime().availableProcessors(), loadAverage(), work);

        List<Process> started = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (int round = 1; round <= rounds; round++) {
            for (Map.Entry<String, Path> jar : jars.entrySet()) {
                System.out.printf(Locale.ROOT, "%n== round %d, sidecar %s (%s), load average %s%n", round, jar.getKey(), jar.getValue(), loadAverage());
                // A new upstream for each sidecar: one left with a backlog (without backpressure, requests the generator
                // gave up on still wait in its queue) would slow the next sidecar down.
                Path upstreamLog = work.resolve("upstream-" + jar.getKey() + "-" + round + ".log");
                Process upstream = start(started, upstreamLog, javaCommand("-cp", ownJar(), FixedServiceUpstream.class.getName(),
                        "--threads", Integer.toString(threads), "--service-ms", Integer.toString(serviceMs)));
                Sidecar sidecar = Sidecar.start(started, work, jar.getKey() + "-" + round, jar.getValue(), config,
                        upstreamPort(upstreamLog, upstream), sidecarFlags);
                try {
                    Path targets = targets(work, sidecar.port);
                    attack(vegeta, work, "warmup", targets, capacity * overload, warmupSeconds, sidecar, json);
                    int warmupDescriptors = sidecar.maxDescriptors;
                    sidecar.maxDescriptors = 0;
                    PhaseResult unloaded = attack(vegeta, work, "unloaded", targets, capacity * unloadedPercent / 100, unloadedSeconds, sidecar, json);
                    PhaseResult loaded = attack(vegeta, work, overload + "x", targets, capacity * overload, seconds, sidecar, json);
                    runs.computeIfAbsent(jar.getKey(), k -> new ArrayList<>()).add(new Run(unloaded, loaded, sidecar.maxDescriptors, warmupDescriptors));
                } finally {
                    sidecar.stop(started);
                    upstream.destroyForcibly().waitFor();
                    started.remove(upstream);
                }
            }
        }
        summary(runs);
    }

    /**
     * One round of one jar: the unloaded phase, the overload phase, the sidecar's most descriptors over both, and over
     * the warm-up (the overload rate on a cold JVM, slower to answer, so more connections at once).
     */
    private record Run(PhaseResult unloaded, PhaseResult loaded, int maxDescriptors, int warmupDescriptors) {
        double ratio() {
            return PhaseResult.millis(loaded.admittedNanos, 0.99) / PhaseResult.millis(unloaded.admittedNanos, 0.99);
        }

        double lagP99() {
            return Math.max(PhaseResult.millis(unloaded.lagNanos, 0.99), PhaseResult.millis(loaded.lagNanos, 0.99));
        }
    }

    private static void summary(Map<String, List<Run>> runs) {
        System.out.printf(Locale.ROOT, "%n== summary: median [min-max] over rounds%n");
        for (Map.Entry<String, List<Run>> entry : runs.entrySet()) {
            List<Run> list = entry.getValue();
            System.out.printf(Locale.ROOT, "sidecar %s, %d round(s):%n", entry.getKey(), list.size());
            line(list, "unloaded admitted p99 ms", run -> PhaseResult.millis(run.unloaded.admittedNanos, 0.99));
            line(list, "overload admitted p50 ms", run -> PhaseResult.millis(run.loaded.admittedNanos, 0.5));
            line(list, "overload admitted p99 ms", run -> PhaseResult.millis(run.loaded.admittedNanos, 0.99));
            line(list, "admitted p99 ratio (goal <= 2)", Run::ratio);
            line(list, "admitted per second", run -> run.loaded.admittedNanos.length / run.loaded.seconds);
            line(list, "refusal p50 ms", run -> PhaseResult.millis(run.loaded.refusedNanos, 0.5));
            line(list, "refusal p99 ms (goal <= 1)", run -> PhaseResult.millis(run.loaded.refusedNanos, 0.99));
            line(list, "refusal p99.9 ms", run -> PhaseResult.millis(run.loaded.refusedNanos, 0.999));
            line(list, "refusals within 1 ms %", run -> 100 * run.loaded.refusedWithin(1_000_000));
            line(list, "503 without Retry-After", run -> run.loaded.refusedWithoutRetryAfter);
            line(list, "other outcomes (goal 0)", run -> run.loaded.otherOutcomes() + run.unloaded.otherOutcomes());
            line(list, "sidecar max open fds", Run::maxDescriptors);
            line(list, "  the same in the warm-up", Run::warmupDescriptors);
            line(list, "generator lag p99 ms", Run::lagP99);
            double worstLag = list.stream().mapToDouble(Run::lagP99).max().orElse(Double.NaN);
            if (worstLag > GENERATOR_LAG_LIMIT_MS) {
                System.out.printf(Locale.ROOT, "  THE GENERATOR IS A BOTTLENECK: its p99 lag behind schedule reached %.1f ms (limit %.0f ms);"
                        + " lower --overload or --service-ms, or give it a quieter machine%n", worstLag, GENERATOR_LAG_LIMIT_MS);
            }
        }
    }

    private static void line(List<Run> runs, String label, ToDoubleFunction<Run> value) {
        double[] values = runs.stream().mapToDouble(value).sorted().toArray();
        double median = values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "  %-32s %10.2f  [%.2f-%.2f]%n", label, median, values[0], values[values.length - 1]);
    }

    /** Runs vegeta at {@code rate} for {@code seconds} against the targets and reads its results. */
    private static PhaseResult attack(String vegeta, Path work, String phase, Path targets, double rate, int seconds, Sidecar sidecar,
                                      ObjectMapper json) throws IOException, InterruptedException {
        Path results = work.resolve(sidecar.name + "-" + phase + ".bin");
        PhaseResult result;
        try (ProcessSampler sampler = new ProcessSampler(sidecar.process.pid(), 250)) {
            Process attack = new ProcessBuilder(vegeta, "attack", "-targets=" + targets, "-rate=" + Math.round(rate) + "/1s",
                    "-duration=" + seconds + "s", "-timeout=30s", "-output=" + results)
                    .redirectErrorStream(true).redirectOutput(work.resolve(sidecar.name + "-" + phase + ".vegeta.log").toFile()).start();
            if (!attack.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                attack.destroyForcibly();
                throw new IllegalStateException("vegeta did not finish within " + (seconds + 60) + " s");
            }
            Process encode = new ProcessBuilder(vegeta, "encode", "--to", "json", results.toString()).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(encode.getInputStream(), StandardCharsets.UTF_8))) {
                result = PhaseResult.read(phase, rate, lines, json);
            }
            encode.waitFor();
            sidecar.maxDescriptors = Math.max(sidecar.maxDescriptors, sampler.max());
            if (!phase.equals("warmup")) {
                System.out.printf(Locale.ROOT, "-- %s%n", phase);
                result.describe().forEach(System.out::println);
                System.out.println(sampler.describe());
            }
        }
        Files.deleteIfExists(results);
        settle(sidecar);
        return result;
    }

    /**
     * Waits (at most 30 s) until the sidecar holds no more descriptors than when it became ready, give or take a few:
     * requests the generator gave up on may still be in flight or waiting at the upstream, and the next phase must not
     * start on a gate they still fill.
     */
    private static void settle(Sidecar sidecar) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ProcessSampler.descriptors(sidecar.process.pid()) > sidecar.readyDescriptors + 16 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    /** The targets vegeta cycles through: one per priority, in the order of {@link #PRIORITIES}. */
    private static Path targets(Path work, int port) throws IOException {
        StringBuilder targets = new StringBuilder();
        for (String priority : PRIORITIES) {
            targets.append("GET http://127.0.0.1:").append(port).append("/work?p=").append(priority).append('\n')
                    .append("X-Priority: ").append(priority).append("\n\n");
        }
        Path file = work.resolve("targets.txt");
        Files.writeString(file, targets, StandardCharsets.UTF_8);
        return file;
    }

    private static String config(String mode, int threads) {
        String backpressure = mode.equals("none") ? "" : """
                    backpressure:
                      concurrency: {maxConcurrent: %d, queueSize: %d, maxWait: 50ms}
                      shedding:
                        priorityHeader: X-Priority
                        defaultPriority: normal
                        priorities:
                          - {name: critical, shedAtUtilisation: 100}
                          - {name: high, shedAtUtilisation: 90}
                          - {name: normal, shedAtUtilisation: 75}
                          - {name: low, shedAtUtilisation: 50}
                """.formatted(threads, threads);
        return LoadProgram.unlimited(100_000_000, backpressure);
    }

    /** The sidecar jar as its own process, with its default settings and JVM defaults, and what it held at most. */
    private static final class Sidecar {
        final String name;
        final Process process;
        final int port;
        final int readyDescriptors;
        int maxDescriptors;

        private Sidecar(String name, Process process, int port) {
            this.name = name;
            this.process = process;
            this.port = port;
            this.readyDescriptors = ProcessSampler.descriptors(process.pid());
        }

        static Sidecar start(List<Process> started, Path work, String name, Path jar, Path config, int upstreamPort, List<String> flags)
                throws IOException, InterruptedException {
            int port = freePort();
            int adminPort = freePort();
            List<String> command = javaCommand("-jar", jar.toString(), "--config", config.toString(), "--upstream",
                    "http://127.0.0.1:" + upstreamPort, "--bind", "127.0.0.1", "--port", Integer.toString(port), "--admin-port",
                    Integer.toString(adminPort));
            command.addAll(flags);
            Path log = work.resolve("sidecar-" + name + ".log");
            Process process = Overload.start(started, log, command);
            HttpClient client = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the sidecar exited with " + process.exitValue() + "; see " + log);
                }
                try {
                    if (client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return new Sidecar(name, process, port);
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the sidecar was not ready within 60 s; see " + log);
                }
                Thread.sleep(100);
            }
        }

        void stop(List<Process> started) throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            started.remove(process);
        }
    }

    private static Process start(List<Process> started, Path log, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(process);
        return process;
    }

    private static int upstreamPort(Path log, Process upstream) throws IOException, InterruptedException {
        for (int i = 0; i < 300; i++) {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("listening on ")) {
                    return Integer.parseInt(line.substring("listening on ".length()).trim());
                }
            }
            if (!upstream.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the upstream did not start; see " + log);
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(args));
        return command;
    }

    private static String ownJar() {
        try {
            return Path.of(Overload.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Map<String, Path> jars(String value) {
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String entry : value.split(",")) {
            int equals = entry.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("--jars wants label=path[,label=path...], got '" + value + "'");
            }
            Path jar = Path.of(entry.substring(equals + 1).trim());
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("--jars: no file " + jar);
            }
            jars.put(entry.substring(0, equals).trim(), jar);
        }
        return jars;
    }

    private static String defaultVegeta() {
        Path installed = Path.of(System.getProperty("user.home"), "go", "bin", "vegeta");
        return Files.isExecutable(installed) ? installed.toString() : "vegeta";
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
