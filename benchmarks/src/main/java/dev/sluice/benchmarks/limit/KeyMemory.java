package dev.sluice.benchmarks.limit;

import dev.sluice.api.config.Algorithm;
import dev.sluice.sidecar.limit.Decision;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.PerClientLimiter;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.match.FixedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.List;
import java.util.Locale;

/**
 * What one key costs a rule in heap, per algorithm and number of limits, so that
 * {@code keys.maxPerRule} can be sized: the heap used after deciding one request for each of
 * {@code --keys} distinct clients, minus the heap used before, after full collections, divided by
 * the number of keys. Includes everything a key holds: its entry in the key store, its key string
 * and its counters. Run with a stop-the-world collector so that {@code System.gc()} is a full one:
 *
 * <pre>java -Xmx1g -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.limit.KeyMemory</pre>
 */
public final class KeyMemory {
    private record Case(String name, Algorithm algorithm, String limits) {
    }

    private KeyMemory() {
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length == 2 && args[0].equals("--keys") ? Integer.parseInt(args[1]) : 200_000;
        List<Case> cases = List.of(
                new Case("TokenBucket, 1 limit", Algorithm.TokenBucket, "{requests: 100, period: 1h}"),
                new Case("TokenBucket, 2 limits", Algorithm.TokenBucket, "{requests: 10, period: 1s, burst: 20}, {requests: 1000, period: 1h}"),
                new Case("SlidingWindow, 1 limit", Algorithm.SlidingWindow, "{requests: 100, period: 1h}"),
                new Case("SlidingWindow, 2 limits", Algorithm.SlidingWindow, "{requests: 10, period: 1s}, {requests: 1000, period: 1h}"),
                new Case("FixedWindow, 1 limit", Algorithm.FixedWindow, "{requests: 100, period: 1h}"),
                new Case("FixedWindow, 2 limits", Algorithm.FixedWindow, "{requests: 10, period: 1s}, {requests: 1000, period: 1h}"));
        System.out.printf(Locale.ROOT, "%,d keys per case (ClientIP keys such as 10.1.134.160), JDK %s, %s%n", keys,
                System.getProperty("java.version"), ManagementFactory.getRuntimeMXBean().getInputArguments());
        // A first round loads and compiles the classes; it is not reported.
        measure(cases.get(0), keys / 10);
        System.out.println("| case | bytes per key |");
        System.out.println("| --- | ---: |");
        for (Case c : cases) {
            System.out.printf(Locale.ROOT, "| %s | %.0f |%n", c.name(), measure(c, keys));
        }
    }

    private static double measure(Case c, int keys) throws Exception {
        Decision decision = new Decision();
        long before = usedAfterCollection();
        // A bound no run reaches, so that no key is dropped.
        RateLimiter limiter = PerClientLimiter.inForce(10_000_000, c.algorithm(), c.limits(), new SimpleMeterRegistry(), LimiterClock.SYSTEM);
        for (int i = 0; i < keys; i++) {
            limiter.decide(FixedRequest.get("/").from("10." + (i >>> 16 & 0xff) + "." + (i >>> 8 & 0xff) + "." + (i & 0xff)), decision);
        }
        long after = usedAfterCollection();
        if (limiter.rules().get(0).keyCount() != keys) {
            throw new IllegalStateException("expected " + keys + " keys, the rule holds " + limiter.rules().get(0).keyCount());
        }
        Reference.reachabilityFence(limiter);
        return (double) (after - before) / keys;
    }

    private static long usedAfterCollection() throws InterruptedException {
        long used = Long.MAX_VALUE;
        // Until a collection frees nothing more: finalizers and reference queues settle in a few rounds.
        for (int round = 0; round < 10; round++) {
            System.gc();
            Thread.sleep(50);
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (now >= used) {
                return now;
            }
            used = now;
        }
        return used;
    }
}
