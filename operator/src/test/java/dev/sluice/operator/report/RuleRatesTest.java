package dev.sluice.operator.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.v1alpha1.RuleRate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rates over the last minute from cumulative counters: summed over pods, as of a 10 s bucket, two significant digits. */
class RuleRatesTest {
    private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");

    @Test
    void ratesPerMinuteAreSummedOverPodsFromTheCountersGrowth() {
        PodSnapshot a = pod("a", sample(0, 0, 0, 0), sample(30, 600, 60, 0), sample(60, 1200, 120, 0));
        PodSnapshot b = pod("b", sample(0, 100, 0, 0), sample(60, 400, 0, 30));

        RuleRates rates = RuleRates.of("api", List.of(a, b), T0.plusSeconds(65));

        // 1,500 requests, 120 rejected: 1,380 allowed, rounded to 1,400.

        assertThat(rates.rules()).containsExactly(new RuleRate("per-client", 1400L, 120L, 30L));
        assertThat(rates.rejectRate()).contains("8%");
    }

    @Test
    void everyReconciliationInOneBucketComputesTheSameRates() {
        List<PodSnapshot.Sample> samples = new ArrayList<>();
        for (int second = 0; second <= 80; second += 2) {
            samples.add(sample(second, second * 10L, second, 0));
        }
        PodSnapshot pod = new PodSnapshot("a", null, PodSnapshot.Reporting.ANSWERING, samples);

        RuleRates early = RuleRates.of("api", List.of(pod), T0.plusSeconds(70));
        RuleRates late = RuleRates.of("api", List.of(pod), T0.plusSeconds(79));

        assertThat(late).isEqualTo(early);
        assertThat(RuleRates.bucket(T0.plusSeconds(79))).isEqualTo(T0.plusSeconds(70));
    }

    @Test
    void noTrafficHasNoRejectRateAndAllowedTrafficIsZeroPercent() {
        PodSnapshot idle = pod("a", sample(0, 50, 0, 0), sample(60, 50, 0, 0));
        PodSnapshot busy = pod("a", sample(0, 50, 0, 0), sample(60, 150, 0, 0));

        assertThat(RuleRates.of("api", List.of(idle), T0.plusSeconds(60)).rejectRate()).isEmpty();
        assertThat(RuleRates.of("api", List.of(busy), T0.plusSeconds(60)).rejectRate()).contains("0%");
        assertThat(RuleRates.of("other", List.of(busy), T0.plusSeconds(60)).rules()).as("only the policy's own rules").isEmpty();
    }

    @Test
    void aSidecarRestartCountsFromZero() {
        PodSnapshot restarted = pod("a", sample(0, 5000, 0, 0), sample(60, 90, 9, 0));

        assertThat(RuleRates.of("api", List.of(restarted), T0.plusSeconds(60)).rules()).containsExactly(new RuleRate("per-client", 81L, 9L, 0L));
    }

    @Test
    void roundsToTwoSignificantDigits() {
        assertThat(RuleRates.twoDigits(87.6)).isEqualTo(88);
        assertThat(RuleRates.twoDigits(1234)).isEqualTo(1200);
        assertThat(RuleRates.twoDigits(1250)).isEqualTo(1300);
        assertThat(RuleRates.twoDigits(98_765)).isEqualTo(99_000);
        assertThat(RuleRates.twoDigits(0.4)).isEqualTo(0);
    }

    private static PodSnapshot pod(String name, PodSnapshot.Sample... samples) {
        return new PodSnapshot(name, null, PodSnapshot.Reporting.ANSWERING, List.of(samples));
    }

    private static PodSnapshot.Sample sample(long second, long requests, long rejected, long shadowRejected) {
        return new PodSnapshot.Sample(T0.plusSeconds(second), Map.of("api/per-client",
                new SidecarReport.RuleCounters("api", "per-client", "Enforce", requests, rejected, shadowRejected, 0)));
    }
}
