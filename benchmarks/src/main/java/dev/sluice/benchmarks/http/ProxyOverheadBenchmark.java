package dev.sluice.benchmarks.http;

import dev.sluice.sidecar.http.ProxyOverhead;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What measuring {@code sluice_proxy_overhead_seconds} adds to a request: reading the clock and
 * recording one sample in the histogram, as the forwarder does once per request (it reads the clock
 * once more, when the app's response arrives). The recorded values spread over
 * 0-65 µs so that samples land in several of the histogram's buckets, as real overheads do.
 *
 * <p>Run from the repository root: {@code java -jar benchmarks/target/benchmarks.jar ProxyOverheadBenchmark -prof gc}
 * (docs/benchmarks.md has the command behind the published figures).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProxyOverheadBenchmark {
    /** The low bits of the clock: a value between 0 and 65,535 ns that changes from call to call. */
    private static final long SPREAD_MASK = 0xFFFF;

    @State(Scope.Benchmark)
    public static class Histogram {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyOverhead overhead;

        @Setup
        public void setUp() {
            overhead = new ProxyOverhead(registry);
        }
    }

    /** The clock read alone: what every request pays already, for comparison. */
    @Benchmark
    public long clockOnly() {
        return System.nanoTime() & SPREAD_MASK;
    }

    @Benchmark
    public void record(Histogram histogram) {
        histogram.overhead.record(System.nanoTime() & SPREAD_MASK);
    }

    /** Two I/O threads recording into the one histogram, as a sidecar's threads do. */
    @Benchmark
    @Threads(2)
    public void recordTwoThreads(Histogram histogram) {
        histogram.overhead.record(System.nanoTime() & SPREAD_MASK);
    }
}
