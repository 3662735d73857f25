package dev.sluice.benchmarks.proxy;

import java.util.EnumMap;
import java.util.Map;

/**
 * One interleaved round of one mode: each target's maximum throughput (wrk, or the gRPC client in closed loop), then
 * each target's latency at one constant rate (vegeta, or the gRPC client in open loop), with the CPU seconds the proxy processes used for each, per 100,000 requests.
 */
final class Round {
    final Map<Target, Wrk.Result> throughput = new EnumMap<>(Target.class);
    final Map<Target, Double> cpuAtMaximum = new EnumMap<>(Target.class);
    final Map<Target, Vegeta.Result> latency = new EnumMap<>(Target.class);
    final Map<Target, Double> cpuAtRate = new EnumMap<>(Target.class);
    /** In the gRPC modes, the client's own results behind {@link #throughput} and {@link #latency}: the calls' statuses. */
    final Map<Target, GrpcLoad.Result> grpcAtMaximum = new EnumMap<>(Target.class);
    final Map<Target, GrpcLoad.Result> grpcAtRate = new EnumMap<>(Target.class);
    int rate;

    static double per100k(double cpuSeconds, long requests) {
        return requests == 0 ? Double.NaN : cpuSeconds / requests * 100_000;
    }
}
