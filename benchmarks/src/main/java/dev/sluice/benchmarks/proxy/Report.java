package dev.sluice.benchmarks.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The comparison's tables, in Markdown so that they can go into docs/benchmarks.md as printed. */
final class Report {
    private static final double MIB = 1024.0 * 1024.0;
    private static final double GOAL_RSS_MIB = 96;
    private static final double GOAL_P99_ADDED_MS = 1.0;

    private Report() {
    }

    /** One line per round while the program runs, so that a long run shows where it is. */
    static String progress(int round, int rounds, Round measured) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  round %d/%d: wrk", round, rounds));
        for (Target target : Target.values()) {
            line.append(String.format(Locale.ROOT, " %s %,.0f/s", target.label, measured.throughput.get(target).perSecond()));
        }
        line.append(String.format(Locale.ROOT, "; vegeta %,d/s p99", measured.rate));
        for (Target target : Target.values()) {
            line.append(String.format(Locale.ROOT, " %s %.2f ms", target.label, measured.latency.get(target).p99() / 1e6));
        }
        return line.toString();
    }

    static String of(List<ModeResult> results, Options options, Machine machine) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, """
                %s
                %d interleaved rounds per mode; wrk -t1 -c%d -d%ds for maximum throughput; vegeta at %.0f%% of nginx's maximum \
                of the same round, %d s, for latency; proxies on CPUs %s, wrk, vegeta, the upstream and redis-server on CPUs %s.
                Figures: median (lowest–highest) over the rounds; ratios are taken round by round.
                """, machine.header(), options.rounds(), options.connections(), options.seconds(), options.latencyShare() * 100,
                options.seconds(), options.proxyCpus(), options.loadCpus()));
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
        text.append("| figure | direct | nginx | Sluice | Sluice / nginx |\n| --- | ---: | ---: | ---: | ---: |\n");
        row(text, result, "throughput, requests/s", "%,.0f", r -> r.throughput, Wrk.Result::perSecond, Ratio.QUOTIENT);
        row(text, result, "non-2xx at maximum", "%.1f%%", r -> r.throughput, w -> 100.0 * w.non2xx() / w.requests(), Ratio.NONE);
        cpuRow(text, result, "CPU s per 100k requests at maximum", r -> r.cpuAtMaximum);
        text.append(String.format(Locale.ROOT, "| constant rate (vegeta), requests/s | %s | | | |%n", result.spread(r -> (double) r.rate).format("%,.0f")));
        row(text, result, "rate vegeta kept, requests/s", "%,.0f", r -> r.latency, Vegeta.Result::achieved, Ratio.NONE);
        row(text, result, "p50 latency, ms", "%.2f", r -> r.latency, v -> v.p50() / 1e6, Ratio.QUOTIENT);
        row(text, result, "p99 latency, ms", "%.2f", r -> r.latency, v -> v.p99() / 1e6, Ratio.DIFFERENCE);
        row(text, result, "p99.9 latency, ms", "%.2f", r -> r.latency, v -> v.p999() / 1e6, Ratio.DIFFERENCE);
        cpuRow(text, result, "CPU s per 100k requests at that rate", r -> r.cpuAtRate);
        row(text, result, "errors (wrk socket errors + vegeta errors)", "%.0f", r -> r.throughput,
                w -> (double) w.errors(), Ratio.NONE, r -> r.latency, v -> (double) v.errors());
        text.append('\n').append(footprint(result)).append('\n');
        return text.toString();
    }

    private enum Ratio { NONE, QUOTIENT, DIFFERENCE }

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
            text.append(String.format(Locale.ROOT, " | %.2f× %s", ratio.median(), ratio.median() >= 1.0 ? "met" : "not met"));
        }
        text.append(" |\n| p99 ≤ nginx's + 1 ms at the constant rate");
        for (ModeResult result : results) {
            Spread added = result.spread(r -> (r.latency.get(Target.SLUICE).p99() - r.latency.get(Target.NGINX).p99()) / 1e6);
            text.append(String.format(Locale.ROOT, " | %+.2f ms %s", added.median(), added.median() <= GOAL_P99_ADDED_MS ? "met" : "not met"));
        }
        text.append(" |\n| sidecar RSS ≤ 96 MiB after the load");
        for (ModeResult result : results) {
            double rss = result.sidecarRss / MIB;
            text.append(result.sidecarRss < 0 ? " | killed" : String.format(Locale.ROOT, " | %.0f MiB %s", rss, rss <= GOAL_RSS_MIB ? "met" : "not met"));
        }
        return text.append(" |\n").toString();
    }
}
