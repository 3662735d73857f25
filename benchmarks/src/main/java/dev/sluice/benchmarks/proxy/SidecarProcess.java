package dev.sluice.benchmarks.proxy;

import dev.sluice.benchmarks.ProcStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sidecar as shipped: its shaded jar in its own JVM, with the image's JVM flags unless told otherwise, pinned to
 * the proxies' CPU, in a memory cgroup when there is one. A shell joins the cgroup and execs {@code taskset}, which
 * execs {@code java}: one pid throughout, and the JVM sizes its heap from the limit it starts under.
 */
final class SidecarProcess implements AutoCloseable {
    private static final Pattern JVM_FLAGS = Pattern.compile("<jvmFlags(\\s[^>]*)?>");
    private static final Pattern JVM_FLAG = Pattern.compile("<jvmFlag>\\s*(.*?)\\s*</jvmFlag>");
    /** What the image's environment sets for the JVM (sidecar/pom.xml, jib's environment; the launcher sets it too). */
    private static final String MALLOC_ARENA_MAX = "2";
    private static final Pattern GC_PAUSE_SUM = Pattern.compile("^jvm_gc_pause_seconds_sum\\{[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);

    private static final String RECORDING = "proxy-comparison";

    final Process process;
    final int port;
    private final int adminPort;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private SidecarProcess(Process process, int port, int adminPort) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
    }

    static SidecarProcess start(Path directory, Path jar, List<String> javaOptions, Mode mode, String redisAddress, String upstream,
                                String cpus, MemoryCgroup cgroup) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path config = directory.resolve("sidecar.yaml");
        Files.writeString(config, mode.sidecarDocument(redisAddress));
        int port = Ports.free();
        int adminPort = Ports.free();
        List<String> command = new ArrayList<>();
        command.add(Tools.TASKSET.path());
        command.add("-c");
        command.add(cpus);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.addAll(List.of("-jar", jar.toString(), "--config", config.toString(), "--upstream", upstream,
                "--bind", "127.0.0.1", "--port", String.valueOf(port), "--admin-port", String.valueOf(adminPort)));
        if (cgroup != null) {
            // "$0" is the cgroup's procs file and "$@" the command: no quoting of paths and flags inside the script.
            List<String> shell = new ArrayList<>(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.procsFile().toString()));
            shell.addAll(command);
            command = shell;
        }
        Path log = directory.resolve("sidecar.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX);
        Process process = builder.start();
        SidecarProcess sidecar = new SidecarProcess(process, port, adminPort);
        try {
            sidecar.awaitReady(log);
        } catch (IOException | RuntimeException e) {
            sidecar.close();
            throw e;
        }
        return sidecar;
    }

    /**
     * The JVM flags of the sidecar's image: jib's {@code <jvmFlags>}, read from the sidecar's pom.xml or else the
     * parent's, so that the comparison follows whatever the image ships.
     */
    static List<String> shippedJavaOptions(Path checkout) throws IOException {
        for (Path pom : List.of(checkout.resolve("sidecar/pom.xml"), checkout.resolve("pom.xml"))) {
            if (!Files.exists(pom)) {
                continue;
            }
            String text = Files.readString(pom).replaceAll("(?s)<!--.*?-->", "");
            // The sidecar's own list replaces the parent's: <jvmFlags combine.self="override">.
            Matcher open = JVM_FLAGS.matcher(text);
            if (open.find()) {
                int start = open.end();
                List<String> flags = new ArrayList<>();
                Matcher matcher = JVM_FLAG.matcher(text.substring(start, text.indexOf("</jvmFlags>", start)));
                while (matcher.find()) {
                    flags.add(matcher.group(1));
                }
                return flags;
            }
        }
        throw new IOException("no <jvmFlags> in " + checkout.resolve("sidecar/pom.xml") + " nor " + checkout.resolve("pom.xml")
                + ": run from the checkout's root, or pass --sidecar-java-opts");
    }

    private void awaitReady(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the sidecar ended with " + process.exitValue() + " before it was ready" + Ports.tail(log));
            }
            try {
                if (admin("/readyz").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException("the sidecar was not ready within 60 s" + Ports.tail(log));
    }

    /** Starts a JFR recording (the "profile" settings: CPU samples every 10 ms, allocation samples) with jcmd, into {@code file}. */
    void startRecording(Path file) throws IOException, InterruptedException {
        jcmd("JFR.start", "name=" + RECORDING, "settings=profile", "filename=" + file);
    }

    /** Stops the recording {@link #startRecording} started, which writes its file. */
    void stopRecording() throws IOException, InterruptedException {
        jcmd("JFR.stop", "name=" + RECORDING);
    }

    private void jcmd(String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(process.pid())));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes());
        if (jcmd.waitFor() != 0 || output.contains("Could not") || output.contains("Exception")) {
            throw new IOException(String.join(" ", line) + " failed: " + output.strip());
        }
    }

    double cpuSeconds() {
        return ProcStats.treeCpuSeconds(process.pid());
    }

    long rssBytes() {
        return ProcStats.rssBytes(process.pid());
    }

    /**
     * CPU seconds of the JVM's garbage collector threads, from /proc: G1's and Parallel's own threads, or the
     * "VM Thread" on which Serial GC (the JVM's choice on one CPU) collects; that thread also runs other
     * safepoint operations, few under a steady load.
     */
    double gcThreadCpuSeconds() {
        return ProcStats.threadCpuSeconds(process.pid(), name -> name.startsWith("GC Thread") || name.startsWith("G1 ")
                || name.equals("VM Thread"));
    }

    /** The sum of GC pauses the sidecar's /metrics reports ({@code jvm_gc_pause_seconds_sum}, every collector and cause); -1 if absent. */
    double gcPauseSeconds() throws IOException, InterruptedException {
        Matcher matcher = GC_PAUSE_SUM.matcher(admin("/metrics").body());
        double sum = -1;
        while (matcher.find()) {
            sum = Math.max(sum, 0) + Double.parseDouble(matcher.group(1));
        }
        return sum;
    }

    private HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        Ports.stop(process);
    }
}
