package dev.sluice.benchmarks.shed;

import dev.sluice.benchmarks.ProcStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Samples a process from {@code /proc} while a phase runs: its open file descriptors (the entries of
 * {@code /proc/<pid>/fd}) every {@code intervalMs}, and its CPU time at the start and the end.
 */
final class ProcessSampler implements AutoCloseable {
    private final long pid;
    private final long intervalMs;
    private final List<Integer> descriptors = new ArrayList<>();
    private final Thread thread;
    private final double cpuAtStart;
    private volatile boolean running = true;

    ProcessSampler(long pid, long intervalMs) {
        this.pid = pid;
        this.intervalMs = intervalMs;
        this.cpuAtStart = ProcStats.cpuSeconds(pid);
        this.thread = new Thread(this::run, "fd-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            int count = descriptors(pid);
            synchronized (descriptors) {
                descriptors.add(count);
            }
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static int descriptors(long pid) {
        try (Stream<Path> entries = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) entries.count();
        } catch (IOException e) {
            return -1;
        }
    }

    double cpuSinceStart() {
        return ProcStats.cpuSeconds(pid) - cpuAtStart;
    }

    int max() {
        synchronized (descriptors) {
            return descriptors.stream().mapToInt(Integer::intValue).max().orElse(-1);
        }
    }

    /** The samples, one every {@code every} of them, as {@code a b c ...}. */
    String series(int every) {
        StringBuilder out = new StringBuilder();
        synchronized (descriptors) {
            for (int i = 0; i < descriptors.size(); i += every) {
                out.append(out.isEmpty() ? "" : " ").append(descriptors.get(i));
            }
        }
        return out.toString();
    }

    String describe() {
        return String.format(Locale.ROOT, "  sidecar: open file descriptors max %d, every %d ms: %s; CPU %.1f s", max(), intervalMs * 4,
                series(4), cpuSinceStart());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
    }
}
