package dev.sluice.benchmarks.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A mode's rounds and what the sidecar looked like after them. */
final class ModeResult {
    final Mode mode;
    final List<Round> rounds = new ArrayList<>();
    int nginxWorkers;
    double sidecarReadySeconds;
    long sidecarRss = -1;
    long cgroupPeak = -1;
    long oomKills;
    double sidecarCpuSeconds;
    double gcThreadCpuSeconds;
    double gcPauseSeconds = -1;

    ModeResult(Mode mode) {
        this.mode = mode;
    }

    /** A figure of {@code target} over the rounds; NaN where a round did not measure it. */
    Spread spread(Function<Round, Double> figure) {
        List<Double> values = new ArrayList<>();
        for (Round round : rounds) {
            Double value = figure.apply(round);
            values.add(value == null ? Double.NaN : value);
        }
        return Spread.of(values);
    }

    /** Sidecar over nginx, round by round (both measured in the same round, so each ratio sees the same machine). */
    Spread ratio(Function<Round, Double> sidecar, Function<Round, Double> nginx) {
        return spread(round -> {
            Double s = sidecar.apply(round);
            Double n = nginx.apply(round);
            return s == null || n == null ? Double.NaN : s / n;
        });
    }
}
