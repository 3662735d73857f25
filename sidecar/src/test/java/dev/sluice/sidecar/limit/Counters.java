package dev.sluice.sidecar.limit;

import dev.sluice.api.config.LimitConfig;

/** Builds single counters for algorithm tests. */
final class Counters {
    private Counters() {
    }

    static LimitSpec spec(long requests, String period) {
        return LimitSpec.of("test", LimitConfig.of(requests, period));
    }

    static LimitSpec spec(long requests, String period, long burst) {
        return LimitSpec.of("test", LimitConfig.of(requests, period).withBurst(burst));
    }

    /** How many single-cost requests pass right now. */
    static int drain(LimitCounter counter, ManualClock clock) {
        Usage usage = new Usage();
        int passed = 0;
        while (passed < 1_000_000 && counter.tryConsume(1, clock.nanos(), usage)) {
            passed++;
        }
        return passed;
    }
}
