package dev.sluice.sidecar.backpressure;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import dev.sluice.api.config.AdaptiveAlgorithm;
import dev.sluice.api.config.AdaptiveConfig;

/**
 * A concurrency limit that follows latency, computed by Netflix's concurrency-limits (Gradient2 or
 * Vegas) from one sample per finished request, and kept between the configured minimum and maximum.
 */
public final class AdaptiveLimit {
    private final Limit limit;
    private final int min;
    private final int max;

    AdaptiveLimit(Limit limit, int min, int max) {
        this.limit = limit;
        this.min = min;
        this.max = max;
    }

    public static AdaptiveLimit of(AdaptiveConfig config) {
        int initial = config.effectiveInitialLimit();
        Limit limit = config.algorithm() == AdaptiveAlgorithm.Vegas
                ? VegasLimit.newBuilder().initialLimit(initial).maxConcurrency(config.maxLimit()).build()
                : Gradient2Limit.newBuilder().initialLimit(initial).minLimit(config.minLimit()).maxConcurrency(config.maxLimit()).build();
        return new AdaptiveLimit(limit, config.minLimit(), config.maxLimit());
    }

    /** The limit now. */
    public int limit() {
        return Math.max(min, Math.min(max, limit.getLimit()));
    }

    /**
     * One finished request: when it started (nanoTime), how long it took, how many requests were in
     * flight when it started, and whether it was dropped (timed out or refused upstream).
     */
    public void onSample(long startNanos, long rttNanos, int inFlight, boolean dropped) {
        limit.onSample(startNanos, rttNanos, inFlight, dropped);
    }
}
