package dev.sluice.benchmarks.shed;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.benchmarks.LoadProgram;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A load program, not a test: an upstream of known capacity ({@code threads} workers, each request
 * taking {@code serviceMs}), a real sidecar in front of it on loopback, and an open-loop client that
 * offers {@code overload} times the upstream's capacity, spread evenly over four priorities. Prints,
 * per priority, how many requests were admitted and shed and the latency percentiles of the admitted
 * ones; with {@code --mode none} the same load goes through a sidecar without backpressure, for
 * comparison.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.shed.ShedLoad [--mode shed|none] [--seconds 20]
 *     [--threads 16] [--service-ms 40] [--overload 10]
 * </pre>
 */
public final class ShedLoad {
    private static final String[] PRIORITIES = {"critical", "high", "normal", "low"};

    private ShedLoad() {
    }

    public static void main(String[] args) throws Exception {
        String mode = LoadProgram.option(args, "--mode", "shed");
        int seconds = Integer.parseInt(LoadProgram.option(args, "--seconds", "20"));
        int threads = Integer.parseInt(LoadProgram.option(args, "--threads", "16"));
        int serviceMs = Integer.parseInt(LoadProgram.option(args, "--service-ms", "40"));
        int overload = Integer.parseInt(LoadProgram.option(args, "--overload", "10"));
        double capacity = threads * 1000.0 / serviceMs;
        double offered = capacity * overload;

        HttpServer upstream = upstream(threads, serviceMs);
        Path config = Files.createTempFile("sluice-shed", ".yaml");
        Files.writeString(config, config(mode, threads), StandardCharsets.UTF_8);
        SidecarSettings settings = SidecarSettings.loopback(config, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
                .withUpstreamTimeout(Duration.ofSeconds(10));
        try (Sidecar sidecar = new Sidecar(settings).start()) {
            System.out.printf(Locale.ROOT, "mode %s: upstream capacity %.0f req/s (%d workers x %d ms), offered %.0f req/s for %d s, %d cores%n",
                    mode, capacity, threads, serviceMs, offered, seconds, Runtime.getRuntime().availableProcessors());
            run(URI.create("http://127.0.0.1:" + sidecar.port() + "/work"), offered, 2);
            Result[] results = run(URI.create("http://127.0.0.1:" + sidecar.port() + "/work"), offered, seconds);
            report(results, seconds);
        } finally {
            upstream.stop(0);
            ((ExecutorService) upstream.getExecutor()).shutdownNow();
            Files.deleteIfExists(config);
        }
        System.exit(0);
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

    /** Offers {@code rate} requests a second, open loop (a slow answer does not slow the offer), for {@code seconds}; the first call warms the JIT up and is not reported. */
    private static Result[] run(URI target, double rate, int seconds) throws InterruptedException {
        HttpClient client = LoadProgram.client("shed-load-client");
        Result[] results = new Result[PRIORITIES.length];
        for (int i = 0; i < results.length; i++) {
            results[i] = new Result(PRIORITIES[i]);
        }
        long total = (long) (rate * seconds);
        long intervalNanos = (long) (1_000_000_000L / rate);
        CountDownLatch done = new CountDownLatch((int) total);
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            Result result = results[(int) (i % PRIORITIES.length)];
            HttpRequest request = HttpRequest.newBuilder(target).header("X-Priority", result.priority).timeout(Duration.ofSeconds(15)).build();
            long sent = System.nanoTime();
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                long took = System.nanoTime() - sent;
                if (error != null) {
                    result.errors.incrementAndGet();
                } else if (response.statusCode() == 200) {
                    result.admitted.add(took);
                } else if (response.statusCode() == 503) {
                    result.shed.incrementAndGet();
                } else {
                    result.errors.incrementAndGet();
                }
                done.countDown();
            });
        }
        done.await(60, TimeUnit.SECONDS);
        return results;
    }

    private static void report(Result[] results, int seconds) {
        System.out.printf(Locale.ROOT, "%-9s %8s %8s %8s %7s %9s %9s %9s %10s%n",
                "priority", "offered", "admitted", "shed", "errors", "shed %", "p50 ms", "p99 ms", "admitted/s");
        for (Result result : results) {
            long[] latencies = result.admitted.stream().mapToLong(Long::longValue).sorted().toArray();
            long admitted = latencies.length;
            long offered = admitted + result.shed.get() + result.errors.get();
            System.out.printf(Locale.ROOT, "%-9s %8d %8d %8d %7d %8.1f%% %9.1f %9.1f %10.1f%n", result.priority, offered, admitted,
                    result.shed.get(), result.errors.get(), offered == 0 ? 0 : 100.0 * result.shed.get() / offered,
                    percentile(latencies, 0.50), percentile(latencies, 0.99), admitted / (double) seconds);
        }
        long[] all = Arrays.stream(results).flatMap(result -> result.admitted.stream()).mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "all admitted: %d (%.1f/s), p50 %.1f ms, p99 %.1f ms%n", all.length, all.length / (double) seconds,
                percentile(all, 0.50), percentile(all, 0.99));
    }

    private static double percentile(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1_000_000.0;
    }

    private static HttpServer upstream(int threads, int serviceMs) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4096);
        server.setExecutor(Executors.newFixedThreadPool(threads));
        byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            try (exchange) {
                Thread.sleep(serviceMs);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return server;
    }

    private static final class Result {
        final String priority;
        final ConcurrentLinkedQueue<Long> admitted = new ConcurrentLinkedQueue<>();
        final AtomicLong shed = new AtomicLong();
        final AtomicLong errors = new AtomicLong();

        Result(String priority) {
            this.priority = priority;
        }
    }
}
