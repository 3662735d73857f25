package dev.sluice.benchmarks.limit;

import dev.sluice.api.config.Algorithm;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.sidecar.limit.Decision;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.match.FixedRequest;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one rate-limit decision ({@link RateLimiter#decide}): match a rule by path prefix and
 * method, build its key from the client address and a header, and take from two limits. Nothing is
 * measured of the HTTP server; the request is {@link FixedRequest}.
 *
 * <p>Run from the repository root: {@code java -jar benchmarks/target/benchmarks.jar -prof gc}
 * (docs/benchmarks.md has the command behind the published figures).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// The refusing case would log one line every 10 s into the figures' output; the call is still made.
@Fork(value = 1, jvmArgsAppend = "-DSLUICE_LOG_LEVEL=WARN")
public class DecisionPathBenchmark {
    /** Distinct clients in the rotating case: well under the default of 100,000 keys kept per rule. */
    static final int CLIENTS = 10_000;

    /** Two limits no benchmark run can exhaust, so every decision takes from both and passes. */
    private static final String GENEROUS_LIMITS = """
              - requests: 1000000000
                period: 1s
              - requests: 1000000000000
                period: 1h
            """;

    /** The first limit passes and is refunded, the second is spent by the first request. */
    private static final String EXHAUSTED_LIMITS = """
              - requests: 1000000000
                period: 1s
              - requests: 1
                period: 1h
            """;

    @State(Scope.Benchmark)
    public static class Limiters {
        @Param({"TokenBucket", "SlidingWindow", "FixedWindow"})
        public Algorithm algorithm;

        RateLimiter passing;
        RateLimiter refusing;
        FixedRequest[] clients;

        @Setup
        public void compile() throws InvalidConfigException {
            passing = limiter(algorithm, GENEROUS_LIMITS);
            refusing = limiter(algorithm, EXHAUSTED_LIMITS);
            clients = new FixedRequest[CLIENTS];
            for (int i = 0; i < CLIENTS; i++) {
                int host = i + 1;
                String address = "10." + (host >> 16 & 0xff) + "." + (host >> 8 & 0xff) + "." + (host & 0xff);
                clients[i] = FixedRequest.get("/api/orders/42").header("X-Api-Key", String.format("key-%05d", i)).from(address);
            }
            Decision decision = new Decision();
            for (FixedRequest client : clients) {
                check(passing.decide(client, decision), "the generous limits refused a request");
            }
            refusing.decide(hot(), decision);
            check(!refusing.decide(hot(), decision), "the exhausted limit let a second request through");
        }

        FixedRequest hot() {
            return clients[0];
        }
    }

    /** What each I/O thread of the sidecar keeps: its own {@link Decision}. */
    @State(Scope.Thread)
    public static class Caller {
        final Decision decision = new Decision();
        int next;

        FixedRequest nextOf(FixedRequest[] clients) {
            FixedRequest request = clients[next];
            next = next + 1 == clients.length ? 0 : next + 1;
            return request;
        }
    }

    /** The same client every time: its counters stay in cache. */
    @Benchmark
    public boolean hotKey(Limiters limiters, Caller caller) {
        return limiters.passing.decide(limiters.hot(), caller.decision);
    }

    /** Each request from the next of {@value #CLIENTS} clients: a key lookup that misses the CPU caches. */
    @Benchmark
    public boolean rotatingKeys(Limiters limiters, Caller caller) {
        return limiters.passing.decide(caller.nextOf(limiters.clients), caller.decision);
    }

    /** A refusal: the first limit is taken from and refunded, the second refuses. */
    @Benchmark
    public boolean refused(Limiters limiters, Caller caller) {
        return limiters.refusing.decide(limiters.hot(), caller.decision);
    }

    /** Two threads deciding for the same client: both contend for its counters' locks. */
    @Benchmark
    @Threads(2)
    public boolean hotKeyTwoThreads(Limiters limiters, Caller caller) {
        return limiters.passing.decide(limiters.hot(), caller.decision);
    }

    private static RateLimiter limiter(Algorithm algorithm, String limits) throws InvalidConfigException {
        String yaml = """
                policies:
                  - name: bench
                    rules:
                      - name: per-client
                        match:
                          path: { prefix: /api/ }
                          methods: [GET, POST]
                        key:
                          - type: ClientIP
                          - type: Header
                            header: X-Api-Key
                        algorithm: %s
                        limits:
                %s""".formatted(algorithm, limits.indent(8));
        return RateLimiter.compile(ConfigLoader.parse(yaml), null, RateLimiter.empty(LimiterClock.SYSTEM),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), LimiterClock.SYSTEM);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
