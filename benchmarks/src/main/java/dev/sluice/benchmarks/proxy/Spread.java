package dev.sluice.benchmarks.proxy;

import java.util.List;
import java.util.Locale;

/** The median of a figure over the rounds, with its lowest and highest value: the spread a busy machine gives it. */
record Spread(double median, double min, double max) {
    static Spread of(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return new Spread(Double.NaN, Double.NaN, Double.NaN);
        }
        int middle = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[sorted.length - 1]);
    }

    boolean known() {
        return !Double.isNaN(median);
    }

    /** {@code median (min–max)} with {@code format} for each, or a dash when nothing was measured. */
    String format(String format) {
        if (!known()) {
            return "—";
        }
        return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median, min, max);
    }
}
