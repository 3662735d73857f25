package dev.sluice.benchmarks.proxy;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The comparison as one SVG, written by hand so that the benchmark needs no plotting library: on the left each
 * mode's maximum throughput per target (median bar, lowest–highest whisker), on the right the latency percentiles
 * at the constant rate (p50, p99 and p99.9 on a logarithmic scale).
 */
final class SvgPlot {
    private static final int WIDTH = 1040;
    private static final int HEIGHT = 510;
    private static final int TOP = 135;
    private static final int BOTTOM = 420;
    private static final String[] COLOURS = {"#8c8c8c", "#009639", "#1f6feb"};

    private SvgPlot() {
    }

    static String of(List<ModeResult> results, Options options, Machine machine) {
        boolean grpc = results.stream().allMatch(result -> result.mode.grpc());
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, """
                <svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">
                <rect width="100%%" height="100%%" fill="white"/>
                <text x="20" y="24" font-size="16" font-weight="bold">Sluice sidecar and nginx (limit_req) as %s proxies, same upstream, same CPU</text>
                <text x="20" y="44" fill="#444">%s, %d CPUs, load average %s before the run; %s, %s</text>
                <text x="20" y="62" fill="#444">sidecar: %s; %s</text>
                <text x="20" y="80" fill="#444">%d interleaved rounds per mode; throughput: %s -c%d, %d s; latency: %s at %.0f%% of nginx's maximum, %d s</text>
                """, WIDTH, HEIGHT, WIDTH, HEIGHT, grpc ? "gRPC (grpc_pass, h2c)" : "HTTP", escape(machine.cpu()), machine.cores(), machine.loadBefore(), escape(machine.nginx()),
                escape(grpc ? machine.grpc() : machine.vegeta()), escape(String.join(" ", machine.sidecarJavaOptions())),
                escape(machine.memoryLimit()), options.rounds(), grpc ? "gRPC closed loop" : "wrk", options.connections(), options.seconds(),
                grpc ? "gRPC open loop" : "vegeta", options.latencyShare() * 100, options.seconds()));
        throughput(svg, results, 70, 490, grpc ? "calls" : "requests");
        latency(svg, results, 590, 1010);
        legend(svg);
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\" text-anchor=\"end\">%s, dev.sluice.benchmarks.proxy.ProxyComparison</text>%n",
                WIDTH - 20, HEIGHT - 10, LocalDate.now(ZoneOffset.UTC)));
        return svg.append("</svg>\n").toString();
    }

    private static void throughput(StringBuilder svg, List<ModeResult> results, int left, int right, String unit) {
        double max = 0;
        for (ModeResult result : results) {
            for (Target target : Target.values()) {
                max = Math.max(max, result.spread(r -> r.throughput.get(target).perSecond()).max());
            }
        }
        double top = niceCeiling(max);
        title(svg, left, right, "maximum throughput, " + unit + "/s (higher is better)");
        for (int tick = 0; tick <= 4; tick++) {
            double value = top * tick / 4;
            double y = BOTTOM - (BOTTOM - TOP) * tick / 4.0;
            gridLine(svg, left, right, y, String.format(Locale.ROOT, "%,.0f", value));
        }
        double group = (right - left) / (double) results.size();
        double bar = group * 0.8 / Target.values().length;
        for (int m = 0; m < results.size(); m++) {
            ModeResult result = results.get(m);
            double x0 = left + group * m + group * 0.1;
            for (Target target : Target.values()) {
                Spread spread = result.spread(r -> r.throughput.get(target).perSecond());
                double x = x0 + bar * target.ordinal();
                double y = scale(spread.median(), top);
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                        x + 2, y, bar - 4, BOTTOM - y, COLOURS[target.ordinal()]));
                double middle = x + bar / 2;
                svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>%n",
                        middle, middle, scale(spread.min(), top), scale(spread.max(), top)));
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>%n",
                        middle, scale(spread.max(), top) - 4, thousands(spread.median())));
            }
            Spread ratio = result.ratio(r -> r.throughput.get(Target.SLUICE).perSecond(), r -> r.throughput.get(Target.NGINX).perSecond());
            modeLabel(svg, x0 + group * 0.4, result.mode.id, String.format(Locale.ROOT, "Sluice/nginx %.2f×", ratio.median()));
        }
    }

    private static void latency(StringBuilder svg, List<ModeResult> results, int left, int right) {
        double low = Double.MAX_VALUE;
        double high = 0;
        for (ModeResult result : results) {
            for (Target target : Target.values()) {
                low = Math.min(low, percentile(result, target, Vegeta.Result::p50).median());
                high = Math.max(high, percentile(result, target, Vegeta.Result::p999).median());
            }
        }
        double floor = Math.pow(10, Math.floor(Math.log10(low)));
        double ceiling = Math.pow(10, Math.ceil(Math.log10(high)));
        title(svg, left, right, "latency at the constant rate, ms, log scale (lower is better)");
        for (double decade = floor; decade <= ceiling * 1.0001; decade *= 10) {
            gridLine(svg, left, right, logScale(decade, floor, ceiling), decade >= 1 ? String.format(Locale.ROOT, "%.0f", decade)
                    : String.format(Locale.ROOT, "%s", trim(decade)));
        }
        double group = (right - left) / (double) results.size();
        double column = group * 0.8 / Target.values().length;
        for (int m = 0; m < results.size(); m++) {
            ModeResult result = results.get(m);
            double x0 = left + group * m + group * 0.1;
            for (Target target : Target.values()) {
                double x = x0 + column * target.ordinal() + column / 2;
                double p50 = logScale(percentile(result, target, Vegeta.Result::p50).median(), floor, ceiling);
                double p99 = logScale(percentile(result, target, Vegeta.Result::p99).median(), floor, ceiling);
                double p999 = logScale(percentile(result, target, Vegeta.Result::p999).median(), floor, ceiling);
                String colour = COLOURS[target.ordinal()];
                svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        x, x, p50, p999, colour));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>%n", x, p50, colour));
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"/>%n", x - 4, p99 - 4, colour));
                svg.append(String.format(Locale.ROOT, "<path d=\"M %.1f %.1f l 5 8 l -10 0 z\" fill=\"%s\"/>%n", x, p999 - 5, colour));
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%.2f</text>%n", x + 6, p99 + 4,
                        percentile(result, target, Vegeta.Result::p99).median()));
            }
            Spread rate = result.spread(r -> (double) r.rate);
            modeLabel(svg, x0 + group * 0.4, result.mode.id, String.format(Locale.ROOT, "at %s/s", thousands(rate.median())));
        }
        svg.append(String.format(Locale.ROOT, """
                <circle cx="%d" cy="%d" r="4" fill="#444"/><text x="%d" y="%d">p50</text>
                <rect x="%d" y="%d" width="8" height="8" fill="#444"/><text x="%d" y="%d">p99 (value in ms)</text>
                <path d="M %d %d l 5 8 l -10 0 z" fill="#444"/><text x="%d" y="%d">p99.9</text>
                """, left + 10, TOP - 8, left + 18, TOP - 4, left + 56, TOP - 12, left + 68, TOP - 4, left + 190, TOP - 13, left + 200, TOP - 4));
    }

    private static Spread percentile(ModeResult result, Target target, Function<Vegeta.Result, Long> percentile) {
        return result.spread(r -> percentile.apply(r.latency.get(target)) / 1e6);
    }

    private static void legend(StringBuilder svg) {
        int x = 70;
        for (Target target : Target.values()) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    x, HEIGHT - 48, COLOURS[target.ordinal()], x + 16, HEIGHT - 38,
                    switch (target) {
                        case DIRECT -> "direct to the upstream";
                        case NGINX -> "nginx + limit_req";
                        case SLUICE -> "Sluice sidecar";
                    }));
            x += 190;
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#444\">bars: medians; whiskers: lowest–highest round</text>%n",
                x, HEIGHT - 38));
    }

    private static void title(StringBuilder svg, int left, int right, String title) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>%n",
                (left + right) / 2.0, TOP - 32, escape(title)));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, right, BOTTOM, BOTTOM));
    }

    private static void gridLine(StringBuilder svg, int left, int right, double y, String label) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, right, y, y));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%s</text>%n", left - 4, y + 3, label));
    }

    private static void modeLabel(StringBuilder svg, double x, String mode, String detail) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>%n", x, BOTTOM + 16, mode));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">%s</text>%n", x, BOTTOM + 30,
                escape(detail)));
    }

    private static double scale(double value, double top) {
        return BOTTOM - (BOTTOM - TOP) * (Double.isNaN(value) ? 0 : value) / top;
    }

    private static double logScale(double value, double floor, double ceiling) {
        double clamped = Double.isNaN(value) ? floor : Math.max(floor, Math.min(ceiling, value));
        return BOTTOM - (BOTTOM - TOP) * (Math.log10(clamped) - Math.log10(floor)) / (Math.log10(ceiling) - Math.log10(floor));
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code value}, for round axis ticks. */
    static double niceCeiling(double value) {
        if (!(value > 0)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 4, 5, 10}) {
            if (step * power >= value) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String thousands(double value) {
        return Double.isNaN(value) ? "—" : value >= 1000 ? String.format(Locale.ROOT, "%.1fk", value / 1000) : String.format(Locale.ROOT, "%.0f", value);
    }

    private static String trim(double value) {
        return String.format(Locale.ROOT, "%.3f", value).replaceAll("0+$", "");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
