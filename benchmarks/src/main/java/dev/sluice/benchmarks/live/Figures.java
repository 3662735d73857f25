package dev.sluice.benchmarks.live;

import dev.sluice.benchmarks.live.UsageMeter.Phase;
import dev.sluice.benchmarks.live.UsageMeter.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** What {@link FleetBenchmark} measured of its patches, and how it prints them. Times are in milliseconds from each patch. */
final class Figures {
    /**
     * One patch: every sidecar's delivery, how many had not received it by the deadline, and when the benchmark's own
     * watches saw the new ConfigMap, the status Ready, and the status Ready with every pod enforcing (NaN when never).
     */
    record PatchTimes(List<Double> deliveries, int missing, double document, double ready, double enforced) {
        double first() {
            return min(deliveries);
        }

        double last() {
            return max(deliveries);
        }
    }

    private final int pods;
    private final List<Double> deliveries = new ArrayList<>();
    private final List<Double> firsts = new ArrayList<>();
    private final List<Double> fanOuts = new ArrayList<>();
    private final List<Double> documents = new ArrayList<>();
    private final List<Double> readies = new ArrayList<>();
    private final List<Double> enforced = new ArrayList<>();
    private int missing;
    private int patches;

    Figures(int pods) {
        this.pods = pods;
    }

    /** Adds a measured patch and prints its line. */
    void add(PatchTimes patch, boolean liveStatus) {
        patches++;
        deliveries.addAll(patch.deliveries());
        missing += patch.missing();
        addIfMeasured(firsts, patch.first());
        addIfMeasured(fanOuts, patch.last() - patch.first());
        addIfMeasured(documents, patch.document());
        addIfMeasured(readies, patch.ready());
        addIfMeasured(enforced, patch.enforced());
        System.out.printf(Locale.ROOT, "  patch %2d: document %s ms, first sidecar %s ms, all %d sidecars %s ms (p50 %s), Ready %s ms, enforcing %s%n",
                patches, ms(patch.document()), ms(patch.first()), pods - patch.missing(), ms(patch.last()),
                ms(percentile(patch.deliveries(), 50)), ms(patch.ready()), liveStatus ? ms(patch.enforced()) + " ms" : "n/a");
    }

    void print(int operators, boolean liveStatus, Phase patchPhase, Phase steadyPhase, long reports) {
        System.out.println();
        System.out.printf(Locale.ROOT, "Fleet benchmark: %d pods, %d patches, %d operator replica(s), %d cores%n", pods, patches, operators,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "(1) patch -> each sidecar's watch delivers the document: p50 %s ms, p99 %s ms, max %s ms (%d deliveries, %d missing)%n",
                ms(percentile(deliveries, 50)), ms(percentile(deliveries, 99)), ms(max(deliveries)), deliveries.size(), missing);
        System.out.printf(Locale.ROOT, "    patch -> the first sidecar has it (the operator's reconcile and write, one watch event): p50 %s ms, max %s ms%n",
                ms(percentile(firsts, 50)), ms(max(firsts)));
        System.out.printf(Locale.ROOT, "    first -> last sidecar has it (the API server's fan-out to every watch): p50 %s ms, max %s ms%n",
                ms(percentile(fanOuts, 50)), ms(max(fanOuts)));
        System.out.printf(Locale.ROOT, "    patch -> the new ConfigMap seen by the benchmark's own watch: p50 %s ms, max %s ms%n",
                ms(percentile(documents, 50)), ms(max(documents)));
        System.out.printf(Locale.ROOT, "    patch -> status Ready=True at the new generation (any reason): p50 %s ms, max %s ms%n",
                ms(percentile(readies, 50)), ms(max(readies)));
        if (liveStatus) {
            System.out.printf(Locale.ROOT, "(2) patch -> status Ready=True with enforcingPods %d: p50 %s ms, p99 %s ms, max %s ms (%d of %d patches)%n",
                    pods, ms(percentile(enforced, 50)), ms(percentile(enforced, 99)), ms(max(enforced)), enforced.size(), patches);
        } else {
            System.out.println("(2) n/a: operator without live status");
        }
        printPhase("(3) patch phase", patchPhase, patches);
        printPhase("(3) steady phase, sidecars idle", steadyPhase, 0);
        System.out.printf(Locale.ROOT, "    reports served in the steady phase: %d (%.1f per second)%n", reports, reports / steadyPhase.seconds());
    }

    /** One line per process; with {@code patches} above 0, also its CPU per patch. */
    private static void printPhase(String title, Phase phase, int patches) {
        System.out.printf(Locale.ROOT, "%s, %.1f s:%n", title, phase.seconds());
        System.out.printf(Locale.ROOT, "    %-34s %10s %12s %14s%s%n", "process", "CPU s", "CPU % core", "peak RSS MiB",
                patches > 0 ? String.format(Locale.ROOT, " %16s", "CPU ms per patch") : "");
        for (Usage usage : phase.usage().values()) {
            System.out.printf(Locale.ROOT, "    %-34s %10.2f %12.1f %14.0f%s%n", usage.name(), usage.cpuSeconds(), usage.cpuPercent(),
                    usage.peakRssBytes() / 1048576.0, patches > 0 ? String.format(Locale.ROOT, " %16.0f", 1000 * usage.cpuSeconds() / patches) : "");
        }
    }

    private static void addIfMeasured(List<Double> values, double value) {
        if (!Double.isNaN(value)) {
            values.add(value);
        }
    }

    /** Nearest-rank percentile; NaN for no values. */
    static double percentile(List<Double> values, double percent) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "n/a" : String.format(Locale.ROOT, "%.0f", millis);
    }
}
