package dev.sluice.benchmarks.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** The comparison's tables, in Markdown so that they can go into docs/benchmarks.md as printed. */
final class Report {
    private static final double MIB = 1024.0 * 1024.0;
    private static final double GOAL_RSS_MIB = 96;
    private static final double GOAL_P99_ADDED_MS = 1.0;

    private Report() {
    }

    /** One line per round while the program runs, so that a long run shows where it is. */
    static String progress(int round, int rounds, Round measured, Mode mode) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  round %d/%d: %s", round, rounds,
                mode.grpc() ? "gRPC closed loop" : "wrk"));
        for (Target target : Target.values()) {
            line.append(String.format(Locale.ROOT, " %s %,.0f/s", target.label, measured.throughput.get(target).perSecond()));
        }
        line.append(String.format(Locale.ROOT, "; %s %,d/s p99", mode.grpc() ? "gRPC open loop" : "vegeta", measured.rate));
        for (Target target : Target.values()) {
            line.append(String.format(Locale.ROOT, " %s %.2f ms", target.label, measured.latency.get(target).p99() / 1e6));
        }
        return line.toString();
    }

    static String of(List<ModeResult> results, Options options, Machine machine) {
        StringBuilder text = new StringBuilder();
        boolean http = results.stream().anyMatch(result -> !result.mode.grpc());
        boolean grpc = results.stream().anyMatch(result -> result.mode.grpc());
        text.append(machine.header()).append('\n');
        text.append(String.format(Locale.ROOT, "%d interleaved rounds per mode; proxies on CPUs %s, the load generators, the upstreams "
                + "and redis-server on CPUs %s.%n", options.rounds(), options.proxyCpus(), options.loadCpus()));
        if (http) {
            text.append(String.format(Locale.ROOT, "HTTP modes: wrk -t1 -c%d -d%ds for maximum throughput; vegeta at %.0f%% of nginx's "
                    + "maximum of the same round, %d s, for latency.%n", options.connections(), options.seconds(),
                    options.latencyShare() * 100, options.seconds()));
        }
        if (grpc) {
            text.append(String.format(Locale.ROOT, "gRPC modes: unary calls (1-byte payloads) of sluice-grpc-bench (grpc-go) over %d "
                    + "HTTP/2 connections to grpc-go's benchmark server, closed loop with %d calls in flight for %d s for maximum "
                    + "throughput, open loop at %.0f%% of nginx's maximum of the same round (at most %d calls in flight), %d s, "
                    + "for latency.%n", GrpcLoad.CONNECTIONS, options.connections(), options.seconds(), options.latencyShare() * 100,
                    Vegeta.MAX_WORKERS, options.seconds()));
        }
        text.append("Figures: median (lowest–highest) over the rounds; ratios are taken round by round.\n");
        for (ModeResult result : results) {
            text.append('\n').append(table(result));
        }
        text.append('\n').append(goals(results));
        return text.toString();
    }

    private static String table(ModeResult result) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "### %s: %s%n%n", result.mode.id, result.mode.description));
        text.append(String.format(Locale.ROOT, "nginx: %d workers (worker_processes auto); the sidecar was ready %.1f s after its start%n%n",
                result.nginxWorkers, result.sidecarReadySeconds));
        String unit = result.mode.grpc() ? "calls" : "requests";
        text.append("| figure | direct | nginx | Sluice | Sluice / nginx |\n| --- | ---: | ---: | ---: | ---: |\n");
        row(text, result, "throughput, " + unit + "/s", "%,.0f", r -> r.throughput, Wrk.Result::perSecond, Ratio.QUOTIENT);
        row(text, result, result.mode.grpc() ? "non-OK status at maximum" : "non-2xx at maximum", "%.1f%%", r -> r.throughput,
                w -> 100.0 * w.non2xx() / w.requests(), Ratio.NONE);
        cpuRow(text, result, "CPU s per 100k " + unit + " at maximum", r -> r.cpuAtMaximum);
        String rateTool = result.mode.grpc() ? "open loop" : "vegeta";
        text.append(String.format(Locale.ROOT, "| constant rate (%s), %s/s | %s | | | |%n", rateTool, unit,
                result.spread(r -> (double) r.rate).format("%,.0f")));
        row(text, result, "rate " + rateTool + " kept, " + unit + "/s", "%,.0f", r -> r.latency, Vegeta.Result::achieved, Ratio.NONE);
        row(text, result, "p50 latency, ms", "%.2f", r -> r.latency, v -> v.p50() / 1e6, Ratio.QUOTIENT);
        row(text, result, "p99 latency, ms", "%.2f", r -> r.latency, v -> v.p99() / 1e6, Ratio.DIFFERENCE);
        row(text, result, "p99.9 latency, ms", "%.2f", r -> r.latency, v -> v.p999() / 1e6, Ratio.DIFFERENCE);
        cpuRow(text, result, "CPU s per 100k " + unit + " at that rate", r -> r.cpuAtRate);
        row(text, result, result.mode.grpc() ? "errors (calls without an answer, both loads)" : "errors (wrk socket errors + vegeta errors)",
                "%.0f", r -> r.throughput, w -> (double) w.errors(), Ratio.NONE, r -> r.latency, v -> (double) v.errors());
        if (result.mode.grpc()) {
            text.append('\n').append(statuses(result));
        }
        text.append('\n').append(footprint(result)).append('\n');
        return text.toString();
    }

    private enum Ratio { NONE, QUOTIENT, DIFFERENCE }

    /**
     * The gRPC statuses each target answered, over all rounds at maximum throughput, and the first message of each
     * non-OK one: how each proxy refuses a call (and what a grpc-go client makes of it) is part of the comparison.
     */
    private static String statuses(ModeResult result) {
        StringBuilder text = new StringBuilder();
        for (Target target : Target.values()) {
            Map<String, Long> codes = new TreeMap<>();
            Map<String, String> messages = new TreeMap<>();
            long calls = 0;
            for (Round round : result.rounds) {
                GrpcLoad.Result measured = round.grpcAtMaximum.get(target);
                if (measured != null) {
                    calls += measured.calls();
                    measured.codes().forEach((code, count) -> codes.merge(code, count, Long::sum));
                    measured.messages().forEach(messages::putIfAbsent);
                }
            }
            GrpcLoad.Result all = new GrpcLoad.Result(calls, 0, 0, 0, 0, 0, 0, 0, codes, messages);
            text.append(String.format(Locale.ROOT, "- %s: %s", target.label, calls == 0 ? "no call" : all.statuses()));
            messages.forEach((code, message) -> text.append(String.format(Locale.ROOT, "; %s \"%s\"", code, oneLine(message))));
            text.append('\n');
        }
        return "gRPC statuses at maximum throughput, all rounds (and each non-OK status's first message):\n\n" + text;
    }

    /** A status message on one line, at most 160 characters (grpc-go quotes the body of a non-gRPC answer in full). */
    private static String oneLine(String message) {
        String line = message.replaceAll("\\s+", " ").strip();
        return line.length() <= 160 ? line : line.substring(0, 157) + "...";
    }

    private static <T> void row(StringBuilder text, ModeResult result, String name, String format,
                                Function<Round, Map<Target, T>> measured, Function<T, Double> figure, Ratio ratio) {
        row(text, result, name, format, measured, figure, ratio, null, null);
    }

    /** A row of a figure per target; {@code extra}, when given, adds a second figure to the first (errors of both tools). */
    private static <T, U> void row(StringBuilder text, ModeResult result, String name, String format,
                                   Function<Round, Map<Target, T>> measured, Function<T, Double> figure,
                                   Ratio ratio, Function<Round, Map<Target, U>> extraMeasured, Function<U, Double> extra) {
        text.append("| ").append(name);
        for (Target target : Target.values()) {
            text.append(" | ").append(result.spread(round -> value(round, target, measured, figure, extraMeasured, extra)).format(format));
        }
        Function<Round, Double> sluice = round -> value(round, Target.SLUICE, measured, figure, null, null);
        Function<Round, Double> nginx = round -> value(round, Target.NGINX, measured, figure, null, null);
        text.append(" | ").append(switch (ratio) {
            case NONE -> "";
            case QUOTIENT -> result.ratio(sluice, nginx).format("%.2f×");
            case DIFFERENCE -> result.spread(round -> sluice.apply(round) - nginx.apply(round)).format("%+.2f ms");
        }).append(" |\n");
    }

    private static <T, U> Double value(Round round, Target target, Function<Round, Map<Target, T>> measured, Function<T, Double> figure,
                                       Function<Round, Map<Target, U>> extraMeasured, Function<U, Double> extra) {
        T value = measured.apply(round).get(target);
        if (value == null) {
            return Double.NaN;
        }
        double sum = figure.apply(value);
        if (extraMeasured != null && extraMeasured.apply(round).get(target) != null) {
            sum += extra.apply(extraMeasured.apply(round).get(target));
        }
        return sum;
    }

    private static void cpuRow(StringBuilder text, ModeResult result, String name, Function<Round, Map<Target, Double>> cpu) {
        text.append("| ").append(name).append(" | —");
        for (Target target : List.of(Target.NGINX, Target.SLUICE)) {
            text.append(" | ").append(result.spread(round -> cpu.apply(round).getOrDefault(target, Double.NaN)).format("%.2f"));
        }
        text.append(" | ").append(result.ratio(round -> cpu.apply(round).getOrDefault(Target.SLUICE, Double.NaN),
                round -> cpu.apply(round).getOrDefault(Target.NGINX, Double.NaN)).format("%.2f×")).append(" |\n");
    }

    private static String footprint(ModeResult result) {
        if (result.sidecarRss < 0) {
            return String.format(Locale.ROOT, "The sidecar did not last the load (%d OOM kills in its cgroup).%n", result.oomKills);
        }
        String gcShare = result.sidecarCpuSeconds > 0
                ? String.format(Locale.ROOT, " (%.1f%%)", 100 * result.gcThreadCpuSeconds / result.sidecarCpuSeconds) : "";
        return String.format(Locale.ROOT, """
                The sidecar after the load: RSS %.1f MiB, memory cgroup peak %s, %d OOM kills; during the rounds its GC \
                threads used %.2f s of its %.2f s of CPU%s (/proc, threads "GC Thread*", "G1 *" and, for Serial GC, "VM Thread"), \
                GC pauses %s (jvm_gc_pause_seconds_sum of its /metrics).
                """, result.sidecarRss / MIB, result.cgroupPeak < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", result.cgroupPeak / MIB),
                result.oomKills, result.gcThreadCpuSeconds, result.sidecarCpuSeconds, gcShare,
                result.gcPauseSeconds < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f s", result.gcPauseSeconds));
    }

    private static String goals(List<ModeResult> results) {
        StringBuilder text = new StringBuilder("### Goals of issue 16 (medians)\n\n| goal");
        for (ModeResult result : results) {
            text.append(" | ").append(result.mode.id);
        }
        text.append(" |\n| ---");
        text.append(" | ---".repeat(results.size())).append(" |\n| throughput ≥ 1.0× nginx's");
        for (ModeResult result : results) {
            Spread ratio = result.ratio(r -> r.throughput.get(Target.SLUICE).perSecond(), r -> r.throughput.get(Target.NGINX).perSecond());
            text.append(!ratio.known() ? " | not measured (killed)"
                    : String.format(Locale.ROOT, " | %.2f× %s", ratio.median(), ratio.median() >= 1.0 ? "met" : "not met"));
        }
        text.append(" |\n| p99 ≤ nginx's + 1 ms at the constant rate");
        for (ModeResult result : results) {
            Spread added = result.spread(r -> (r.latency.get(Target.SLUICE).p99() - r.latency.get(Target.NGINX).p99()) / 1e6);
            text.append(!added.known() ? " | not measured (killed)"
                    : String.format(Locale.ROOT, " | %+.2f ms %s", added.median(), added.median() <= GOAL_P99_ADDED_MS ? "met" : "not met"));
        }
        text.append(" |\n| sidecar RSS ≤ 96 MiB after the load");
        for (ModeResult result : results) {
            double rss = result.sidecarRss / MIB;
            text.append(result.sidecarRss < 0 ? " | killed" : String.format(Locale.ROOT, " | %.0f MiB %s", rss, rss <= GOAL_RSS_MIB ? "met" : "not met"));
        }
        return text.append(" |\n").toString();
    }
}
