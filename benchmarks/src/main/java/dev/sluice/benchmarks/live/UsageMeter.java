package dev.sluice.benchmarks.live;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time and peak resident memory of some processes over one phase of the benchmark. CPU comes from the
 * difference of {@code utime+stime} between the start and the end; the peak RSS from a sample every
 * {@value #SAMPLE_MILLIS} ms ({@code VmHWM} would be the peak since the process started, not over the phase).
 */
final class UsageMeter implements AutoCloseable {
    static final long SAMPLE_MILLIS = 200;

    /** A process to measure, by a name to print. */
    record Measured(String name, long pid) {
    }

    /** One process's use over a phase; {@code cpuPercent} is of one core. */
    record Usage(String name, double cpuSeconds, double cpuPercent, long peakRssBytes) {
    }

    private final List<Measured> processes;
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "usage-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, Double> cpuAtStart = new LinkedHashMap<>();
    private final Map<String, Long> peakRss = new LinkedHashMap<>();
    private long startNanos;
    private ScheduledFuture<?> sampling;

    UsageMeter(List<Measured> processes) {
        this.processes = List.copyOf(processes);
    }

    void start() {
        cpuAtStart.clear();
        synchronized (peakRss) {
            peakRss.clear();
        }
        for (Measured process : processes) {
            cpuAtStart.put(process.name(), Processes.cpuSeconds(process.pid()));
        }
        startNanos = System.nanoTime();
        sampling = sampler.scheduleAtFixedRate(this::sample, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Ends the phase: its length in seconds, and each process's use over it. */
    Phase stop() {
        sampling.cancel(false);
        sample();
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        Map<String, Usage> usage = new LinkedHashMap<>();
        for (Measured process : processes) {
            double cpu = Processes.cpuSeconds(process.pid()) - cpuAtStart.get(process.name());
            long peak;
            synchronized (peakRss) {
                peak = peakRss.getOrDefault(process.name(), -1L);
            }
            usage.put(process.name(), new Usage(process.name(), cpu, 100 * cpu / seconds, peak));
        }
        return new Phase(seconds, usage);
    }

    private void sample() {
        for (Measured process : processes) {
            long rss = Processes.rssBytes(process.pid());
            synchronized (peakRss) {
                peakRss.merge(process.name(), rss, Math::max);
            }
        }
    }

    /** A phase's length and the use of every process over it, in the order the processes were given. */
    record Phase(double seconds, Map<String, Usage> usage) {
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
