package dev.sluice.benchmarks.live;

import dev.sluice.benchmarks.ProcStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Reading a process's CPU time and memory from {@code /proc}, and stopping the processes the benchmark started. */
final class Processes {
    private Processes() {
    }

    /** User plus system CPU seconds the process has used so far, all its threads included; -1 once it is gone. */
    static double cpuSeconds(long pid) {
        double seconds = ProcStats.cpuSeconds(pid);
        return Double.isNaN(seconds) ? -1 : seconds;
    }

    /** The process's resident set size now, in bytes ({@code VmRSS}); -1 once it is gone. */
    static long rssBytes(long pid) {
        return statusKilobytes(pid, "VmRSS:") * 1024;
    }

    private static long statusKilobytes(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** SIGTERM, then SIGKILL if it has not ended within {@code grace}. */
    static void stop(Process process, Duration grace) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
