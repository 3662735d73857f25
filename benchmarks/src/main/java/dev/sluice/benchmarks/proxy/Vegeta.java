package dev.sluice.benchmarks.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * vegeta, open-loop: requests at a constant rate whatever the answers, so that a slow answer does not hold back the
 * next request (wrk's latencies would hide queueing: coordinated omission). Latencies are vegeta's own, from each
 * request's send to its response's end, read from its results as CSV.
 *
 * <p>At most {@link #MAX_WORKERS} requests are in flight (vegeta opens a connection per worker): unbounded, a target
 * that falls behind would be sent thousands of connections whose backlog poisons the next measurement. A target
 * slower than {@code MAX_WORKERS / rate} per request then gets less than the rate, which {@link Result#achieved} shows.
 */
final class Vegeta {
    static final int MAX_WORKERS = 256;
    /** What one run got; latencies in nanoseconds, of answered requests; {@code achieved} is the rate vegeta kept up. */
    record Result(long requests, double achieved, long p50, long p99, long p999, long non2xx, long errors) {
    }

    private final String cpus;
    private final Path directory;

    Vegeta(String cpus, Path directory) {
        this.cpus = cpus;
        this.directory = directory;
    }

    Result run(String url, int ratePerSecond, int seconds, boolean distinctClients) throws IOException, InterruptedException {
        Path targets = directory.resolve(distinctClients ? "targets-clients.txt" : "targets.txt");
        StringBuilder text = new StringBuilder();
        for (int n = 0; n < (distinctClients ? Mode.CLIENT_COUNT : 1); n++) {
            text.append("GET ").append(url).append('\n');
            if (distinctClients) {
                text.append("X-Forwarded-For: 10.").append(n / 65536 % 256).append('.').append(n / 256 % 256).append('.').append(n % 256).append('\n');
            }
            text.append('\n');
        }
        Files.writeString(targets, text);
        Path results = directory.resolve("results.bin");
        Process attack = new ProcessBuilder(Tools.TASKSET.path(), "-c", cpus, Tools.VEGETA.path(), "attack", "-rate", ratePerSecond + "/s",
                "-duration", seconds + "s", "-timeout", "5s", "-max-workers", String.valueOf(MAX_WORKERS), "-targets", targets.toString(), "-output", results.toString())
                .redirectErrorStream(true).start();
        String output = new String(attack.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (attack.waitFor() != 0) {
            throw new IOException("vegeta attack failed (" + attack.exitValue() + "): " + output);
        }
        Process encode = new ProcessBuilder(Tools.VEGETA.path(), "encode", "-to", "csv", results.toString()).redirectErrorStream(false).start();
        long[] latencies = new long[Math.max(16, ratePerSecond * seconds + 1024)];
        int answered = 0;
        long requests = 0;
        long non2xx = 0;
        long errors = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(encode.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                // timestamp (ns since the epoch), status code, latency (ns), then fields this program does not read.
                String[] fields = line.split(",", 4);
                long sent = Long.parseLong(fields[0]);
                int status = Integer.parseInt(fields[1]);
                requests++;
                first = Math.min(first, sent);
                last = Math.max(last, sent);
                if (status == 0) {
                    errors++;
                    continue;
                }
                if (status < 200 || status > 299) {
                    non2xx++;
                }
                if (answered == latencies.length) {
                    latencies = Arrays.copyOf(latencies, latencies.length * 2);
                }
                latencies[answered++] = Long.parseLong(fields[2]);
            }
        }
        if (encode.waitFor() != 0) {
            throw new IOException("vegeta encode failed (" + encode.exitValue() + ")");
        }
        Files.deleteIfExists(results);
        if (answered == 0) {
            throw new IOException("vegeta got no answer from " + url + " (" + errors + " errors)");
        }
        long[] sorted = Arrays.copyOf(latencies, answered);
        Arrays.sort(sorted);
        double span = (last - first) / 1e9;
        return new Result(requests, span > 0 ? (requests - 1) / span : requests, percentile(sorted, 0.50), percentile(sorted, 0.99),
                percentile(sorted, 0.999), non2xx, errors);
    }

    /** The nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
