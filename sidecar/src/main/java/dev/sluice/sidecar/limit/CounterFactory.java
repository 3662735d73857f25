package dev.sluice.sidecar.limit;

import dev.sluice.api.config.Algorithm;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Creates the counters of one rule's algorithm. */
final class CounterFactory {
    private final Algorithm algorithm;
    private final ZoneId zone;
    /** One calendar per limit, shared by every key's counter: it holds no state, and a key costs 32 bytes less. */
    private final Map<LimitSpec, WindowCalendar> calendars = new ConcurrentHashMap<>();

    CounterFactory(Algorithm algorithm, String timeZone) {
        this.algorithm = algorithm;
        this.zone = timeZone == null ? ZoneOffset.UTC : ZoneId.of(timeZone);
    }

    LimitCounter[] create(LimitSpec[] specs) {
        LimitCounter[] counters = new LimitCounter[specs.length];
        for (int i = 0; i < specs.length; i++) {
            counters[i] = switch (algorithm) {
                case TokenBucket -> new TokenBucketCounter(specs[i]);
                case SlidingWindow -> new SlidingWindowCounter(specs[i]);
                case FixedWindow -> new FixedWindowCounter(specs[i], calendars.computeIfAbsent(specs[i], this::calendar));
            };
        }
        return counters;
    }

    private WindowCalendar calendar(LimitSpec spec) {
        return new WindowCalendar(spec.parsedPeriod(), zone);
    }
}
