package dev.sluice.benchmarks;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * What the load programs ({@code ForwarderLoad}, {@code Overload}) share: the client that sends a load from
 * within the program, the sidecar document they start from, and their command line.
 */
public final class LoadProgram {
    private LoadProgram() {
    }

    /**
     * An HTTP/1.1 client whose callbacks run on two daemon threads named {@code threadName}: two are enough
     * to keep the sidecar busy on a small machine and take little CPU from it, and daemons let the program
     * end while requests are still in flight.
     */
    public static HttpClient client(String threadName) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(2, runnable -> {
                    Thread thread = new Thread(runnable, threadName);
                    thread.setDaemon(true);
                    return thread;
                })).build();
    }

    /**
     * A sidecar document whose one rule allows {@code requestsPerSecond}, more than the program can send, so
     * no rate limit refuses; {@code sections} (top-level YAML, indented from column 0, may be empty) follows it.
     */
    public static String unlimited(long requestsPerSecond, String sections) {
        return """
                policies:
                  - name: api
                    rules:
                      - name: all
                        limits: [{requests: %d, period: 1s}]
                %s""".formatted(requestsPerSecond, sections);
    }

    /** The value after {@code name} in {@code args}, or {@code fallback} when {@code name} is absent or last. */
    public static String option(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
