package dev.sluice.operator.report;

import dev.sluice.api.v1alpha1.RuleRate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A RateLimitPolicy's request rates over the last minute, per rule, summed over its pods, from the cumulative counters
 * their reports carried. Rates are taken as of the start of a {@value #BUCKET_SECONDS} s bucket and rounded to two
 * significant digits, so that every reconciliation within one bucket computes the same status and writes nothing: status
 * writes stay bounded however many pods report.
 *
 * @param rules each rule's rates, by rule name
 * @param rejectRate the share of requests rejected over the minute, all rules, as {@code "12%"}; empty without traffic
 */
public record RuleRates(List<RuleRate> rules, Optional<String> rejectRate) {
    public static final long BUCKET_SECONDS = 10;
    static final Duration WINDOW = Duration.ofMinutes(1);

    public RuleRates {
        rules = List.copyOf(rules);
    }

    /** The start of the bucket {@code now} falls in: the moment rates are taken as of. */
    public static Instant bucket(Instant now) {
        return Instant.ofEpochSecond(Math.floorDiv(now.getEpochSecond(), BUCKET_SECONDS) * BUCKET_SECONDS);
    }

    /** The rates of policy {@code policy} over the minute before the bucket of {@code now}, from the pods' samples. */
    public static RuleRates of(String policy, Collection<PodSnapshot> pods, Instant now) {
        Instant asOf = bucket(now);
        Map<String, double[]> perRule = new TreeMap<>();
        for (PodSnapshot pod : pods) {
            List<PodSnapshot.Sample> samples = pod.samples().stream().filter(sample -> !sample.at().isAfter(asOf)).toList();
            if (samples.size() < 2) {
                continue;
            }
            PodSnapshot.Sample last = samples.get(samples.size() - 1);
            PodSnapshot.Sample first = start(samples, asOf.minus(WINDOW));
            double seconds = Duration.between(first.at(), last.at()).toMillis() / 1000.0;
            if (first == last || seconds <= 0) {
                continue;
            }
            double perMinute = 60.0 / seconds;
            for (SidecarReport.RuleCounters counters : last.rules().values()) {
                if (!policy.equals(counters.policy())) {
                    continue;
                }
                SidecarReport.RuleCounters before = first.rules().get(PodSnapshot.Sample.key(counters.policy(), counters.rule()));
                double[] sums = perRule.computeIfAbsent(counters.rule(), rule -> new double[3]);
                long requests = delta(counters.requests(), before == null ? 0 : before.requests());
                long rejected = delta(counters.rejected(), before == null ? 0 : before.rejected());
                sums[0] += requests * perMinute;
                sums[1] += rejected * perMinute;
                sums[2] += delta(counters.shadowRejected(), before == null ? 0 : before.shadowRejected()) * perMinute;
            }
        }
        double requests = 0;
        double rejected = 0;
        List<RuleRate> rates = new java.util.ArrayList<>();
        for (Map.Entry<String, double[]> rule : perRule.entrySet()) {
            double[] sums = rule.getValue();
            requests += sums[0];
            rejected += sums[1];
            rates.add(new RuleRate(rule.getKey(), twoDigits(sums[0] - sums[1]), twoDigits(sums[1]), twoDigits(sums[2])));
        }
        Optional<String> rejectRate = requests > 0 ? Optional.of(Math.round(100 * rejected / requests) + "%") : Optional.empty();
        return new RuleRates(rates, rejectRate);
    }

    /** The last sample at or before the window's start, or else the oldest one: a minute's base. */
    private static PodSnapshot.Sample start(List<PodSnapshot.Sample> samples, Instant windowStart) {
        PodSnapshot.Sample start = samples.get(0);
        for (PodSnapshot.Sample sample : samples) {
            if (sample.at().isAfter(windowStart)) {
                break;
            }
            start = sample;
        }
        return start;
    }

    /** A counter's growth; a counter lower than before started again from 0 (the sidecar restarted). */
    private static long delta(long now, long before) {
        return now >= before ? now - before : now;
    }

    /** Rounded to two significant digits: 1234 is 1200, 87.6 is 88. */
    static long twoDigits(double value) {
        long rounded = Math.round(value);
        if (rounded < 100) {
            return rounded;
        }
        double scale = Math.pow(10, Math.floor(Math.log10(rounded)) - 1);
        return Math.round(Math.round(rounded / scale) * scale);
    }
}
