package dev.sluice.sidecar.limit;

import dev.sluice.api.config.Algorithm;
import io.github.bucket4j.TimeMeter;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** Creates the counters of one rule's algorithm. */
final class CounterFactory {
    private final Algorithm algorithm;
    private final TimeMeter timeMeter;
    private final ZoneId zone;

    CounterFactory(Algorithm algorithm, LimiterClock clock, String timeZone) {
        this.algorithm = algorithm;
        this.timeMeter = clock.asTimeMeter();
        this.zone = timeZone == null ? ZoneOffset.UTC : ZoneId.of(timeZone);
    }

    LimitCounter[] create(LimitSpec[] specs) {
        LimitCounter[] counters = new LimitCounter[specs.length];
        for (int i = 0; i < specs.length; i++) {
            counters[i] = switch (algorithm) {
                case TokenBucket -> new TokenBucketCounter(specs[i], timeMeter);
                case SlidingWindow -> new SlidingWindowCounter(specs[i]);
                case FixedWindow -> new FixedWindowCounter(specs[i], new WindowCalendar(specs[i].parsedPeriod(), zone));
            };
        }
        return counters;
    }
}
