package dev.sluice.benchmarks.http;

import dev.sluice.benchmarks.LoadProgram;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A load program, not a test: the sidecar forwarding to the app without and with an inbound breaker.
 * {@code plain} has no inbound breaker, so each request is one attempt through {@code Forwarder};
 * {@code guarded} has an inbound breaker that never trips and no retries, so the same forwarder also
 * asks the breaker and reports to it. Both share {@code UpstreamClient}'s pool. (Before issue 11 the
 * plain mode went through Undertow's proxy handler; docs/benchmarks.md compares that jar with this
 * one.) An Undertow upstream answers {@code ok} at once from its I/O thread; a closed-loop client keeps
 * {@code --concurrency} requests in flight. The modes alternate, {@code --rounds} times each, each
 * round on a fresh sidecar after a warm-up. Reported per round: requests/s, the client's p50 and p99,
 * the sidecar's own mean overhead per request ({@code sluice_proxy_overhead_seconds}, sum over count,
 * from the admin port), and the CPU time the sidecar's threads (its XNIO threads: I/O, workers, admin)
 * spent per request, which does not depend on what the histogram covers and suffers less than wall
 * time from other processes on the machine.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.http.ForwarderLoad [--seconds 15] [--rounds 2] [--concurrency 16]
 * </pre>
 */
public final class ForwarderLoad {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Pattern OVERHEAD = Pattern.compile("(?m)^sluice_proxy_overhead_seconds_(sum|count) ([0-9.E+-]+)$");

    private ForwarderLoad() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(LoadProgram.option(args, "--seconds", "15"));
        int rounds = Integer.parseInt(LoadProgram.option(args, "--rounds", "2"));
        int concurrency = Integer.parseInt(LoadProgram.option(args, "--concurrency", "16"));
        Undertow upstream = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(exchange -> {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            exchange.getResponseSender().send("ok\n");
        }).build();
        upstream.start();
        URI app = URI.create("http://127.0.0.1:" + ((InetSocketAddress) upstream.getListenerInfo().get(0).getAddress()).getPort());
        HttpClient client = LoadProgram.client("forwarder-load-client");
        System.out.printf(Locale.ROOT, "%d s per round, %d in flight, %d cores%n", seconds, concurrency, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-8s %5s %10s %8s %8s %8s %13s %13s%n", "mode", "round", "requests/s", "p50 µs", "p99 µs", "errors",
                "overhead µs", "cpu µs/req");
        try {
            for (int round = 1; round <= rounds; round++) {
                for (String mode : new String[] {"plain", "guarded"}) {
                    round(mode, round, app, client, seconds, concurrency);
                }
            }
        } finally {
            upstream.stop();
        }
        System.exit(0);
    }

    private static void round(String mode, int round, URI app, HttpClient client, int seconds, int concurrency) throws Exception {
        Path config = Files.createTempFile("sluice-forwarder", ".yaml");
        Files.writeString(config, config(mode), StandardCharsets.UTF_8);
        Set<Long> existing = xnioThreads();
        try (Sidecar sidecar = new Sidecar(SidecarSettings.loopback(config, app)).start()) {
            URI target = URI.create("http://127.0.0.1:" + sidecar.port() + "/work");
            run(client, target, concurrency, 3);
            Set<Long> sidecarThreads = xnioThreads();
            sidecarThreads.removeAll(existing);
            double[] before = overhead(client, sidecar);
            long cpuBefore = cpuNanos(sidecarThreads);
            Result result = run(client, target, concurrency, seconds);
            long cpuAfter = cpuNanos(sidecarThreads);
            double[] after = overhead(client, sidecar);
            long[] latencies = result.latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            double overheadMicros = (after[0] - before[0]) / (after[1] - before[1]) * 1e6;
            double cpuMicros = (cpuAfter - cpuBefore) / 1e3 / (latencies.length + result.errors.get());
            System.out.printf(Locale.ROOT, "%-8s %5d %10.0f %8.0f %8.0f %8d %13.1f %13.1f%n", mode, round, latencies.length / (double) seconds,
                    percentile(latencies, 0.50) / 1e3, percentile(latencies, 0.99) / 1e3, result.errors.get(), overheadMicros, cpuMicros);
        } finally {
            Files.deleteIfExists(config);
        }
    }

    /** No rate limit can refuse; {@code guarded} adds an inbound breaker that cannot open and does not retry. */
    private static String config(String mode) {
        String breaker = mode.equals("plain") ? "" : """
                breakers:
                  - name: app
                    namespace: load
                    target: Inbound
                    minimumNumberOfCalls: 1000000
                    slidingWindow: {type: Count, size: 100}
                    timeout: 10s
                """;
        return LoadProgram.unlimited(1_000_000_000, breaker);
    }

    /** Keeps {@code concurrency} requests in flight for {@code seconds}: each answer sends the next request. */
    private static Result run(HttpClient client, URI target, int concurrency, int seconds) throws Exception {
        Result result = new Result();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).build();
        CompletableFuture<?>[] loops = new CompletableFuture<?>[concurrency];
        for (int i = 0; i < concurrency; i++) {
            loops[i] = loop(client, request, end, result);
        }
        CompletableFuture.allOf(loops).join();
        return result;
    }

    private static CompletableFuture<Void> loop(HttpClient client, HttpRequest request, long end, Result result) {
        if (System.nanoTime() >= end) {
            return CompletableFuture.completedFuture(null);
        }
        long sent = System.nanoTime();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
            if (error != null || response.statusCode() != 200) {
                result.errors.incrementAndGet();
            } else {
                result.latencies.add(System.nanoTime() - sent);
            }
            return null;
        }).thenCompose(ignored -> loop(client, request, end, result));
    }

    /** The overhead histogram's sum (seconds) and count, scraped from the admin port. */
    private static double[] overhead(HttpClient client, Sidecar sidecar) throws Exception {
        String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] sumAndCount = new double[2];
        Matcher matcher = OVERHEAD.matcher(metrics);
        while (matcher.find()) {
            sumAndCount[matcher.group(1).equals("sum") ? 0 : 1] = Double.parseDouble(matcher.group(2));
        }
        return sumAndCount;
    }

    /** The ids of the live XNIO threads (Undertow's I/O and worker threads): the upstream's, and once started the sidecar's. */
    private static Set<Long> xnioThreads() {
        Set<Long> ids = new HashSet<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("XNIO-")) {
                ids.add(info.getThreadId());
            }
        }
        return ids;
    }

    /** CPU time the threads have used so far; a thread that has ended counts for nothing. */
    private static long cpuNanos(Set<Long> threads) {
        long total = 0;
        for (long id : threads) {
            total += Math.max(0, THREADS.getThreadCpuTime(id));
        }
        return total;
    }

    private static double percentile(long[] sorted, double quantile) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
    }

    private static final class Result {
        final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        final AtomicLong errors = new AtomicLong();
    }
}
