package dev.sluice.sidecar.backpressure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.AdaptiveAlgorithm;
import dev.sluice.api.config.AdaptiveConfig;
import org.junit.jupiter.api.Test;

class AdaptiveLimitTest {
    private static final long MS = 1_000_000L;

    /** Feeds {@code samples} requests of {@code rtt}, each started with the gate full, and returns the limit after. */
    private static int feed(AdaptiveLimit limit, int samples, long rtt, long[] time) {
        for (int i = 0; i < samples; i++) {
            time[0] += rtt;
            limit.onSample(time[0], rtt, limit.limit(), false);
        }
        return limit.limit();
    }

    @Test
    void gradientFallsWhenLatencyRisesAndStaysWithinBounds() {
        AdaptiveLimit limit = AdaptiveLimit.of(new AdaptiveConfig(AdaptiveAlgorithm.Gradient, 5, 200, 50));
        long[] time = {0};
        int steady = feed(limit, 200, 2 * MS, time);
        assertThat(steady).as("steady latency with the gate full: the limit grows").isGreaterThanOrEqualTo(50);
        int slow = feed(limit, 50, 40 * MS, time);
        assertThat(slow).as("latency 20x higher: the limit falls").isLessThan(steady / 2);
        assertThat(feed(limit, 500, 400 * MS, time)).isGreaterThanOrEqualTo(5);
    }

    @Test
    void vegasFallsWhenLatencyRises() {
        AdaptiveLimit limit = AdaptiveLimit.of(new AdaptiveConfig(AdaptiveAlgorithm.Vegas, 5, 200, 50));
        long[] time = {0};
        int steady = feed(limit, 200, 2 * MS, time);
        int slow = feed(limit, 100, 40 * MS, time);
        assertThat(slow).isLessThan(steady);
        assertThat(slow).isGreaterThanOrEqualTo(5);
    }
}
