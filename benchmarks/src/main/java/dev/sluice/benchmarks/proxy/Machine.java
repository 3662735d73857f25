package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What a figure needs beside it to be read or rerun: the machine, its load, the tools' versions and the sidecar's JVM. */
record Machine(String cpu, int cores, String loadBefore, String nginx, String wrk, String vegeta, String redis, String grpc, String java,
               List<String> sidecarJavaOptions, String memoryLimit) {

    static Machine describe(Options options, List<String> javaOptions) {
        boolean redis = options.modes().stream().anyMatch(Mode::needsRedis);
        boolean http = options.modes().stream().anyMatch(mode -> !mode.grpc());
        boolean grpc = options.modes().stream().anyMatch(Mode::grpc);
        return new Machine(cpuModel(), Runtime.getRuntime().availableProcessors(), loadAverage(),
                firstLine(Tools.NGINX.path(), "-v").replace("nginx version: ", ""),
                http ? firstLine(Tools.WRK.path(), "-v").replaceAll("\\s*Copyright.*", "") : "wrk not used",
                http ? firstLine(Tools.VEGETA.path(), "-version").replace("Version: ", "vegeta ") : "vegeta not used",
                redis ? firstLine(Tools.REDIS.path(), "--version").replaceAll(" sha=.*", "") : "redis not used",
                grpc ? firstLine(Tools.GRPC_BENCH.path(), "version") : "sluice-grpc-bench not used",
                "OpenJDK " + System.getProperty("java.runtime.version"),
                javaOptions,
                options.memoryLimitBytes() == 0 ? "none" : (options.memoryLimitBytes() >> 20) + " MiB memory cgroup");
    }

    String header() {
        return String.format(Locale.ROOT, """
                machine: %d CPUs (%s), load average %s before the run
                tools: %s, %s, %s, %s, %s; sidecar on %s
                sidecar JVM options: %s; %s""", cores, cpu, loadBefore, nginx, wrk, vegeta, redis, grpc, java,
                sidecarJavaOptions.isEmpty() ? "(none)" : String.join(" ", sidecarJavaOptions), memoryLimit);
    }

    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown model";
    }

    /** The first line a program prints about itself (wrk exits 1 after its version, so the exit code is not read). */
    private static String firstLine(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return output.lines().findFirst().orElse(command[0]).strip();
        } catch (IOException e) {
            return command[0] + " (version unknown: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return command[0];
        }
    }
}
