package dev.sluice.sidecar.redis;

import dev.sluice.api.config.Algorithm;
import dev.sluice.sidecar.limit.LimitSpec;
import dev.sluice.sidecar.limit.TakeResult;
import dev.sluice.sidecar.limit.WindowCalendar;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.List;

/**
 * The limits of one tier of one Global rule as {@code take.lua} reads them: the arguments of a take,
 * and its reply as a {@link TakeResult}. Time goes to Redis in microseconds of the sidecar's clock,
 * so replicas need synchronised clocks (as with Bucket4j), and tests can run on a manual clock.
 */
final class LuaLimits {
    static final String FORMAT = "lua1";
    private static final int TOKEN_BUCKET = 0;
    private static final int SLIDING_WINDOW = 1;
    private static final int FIXED_WINDOW = 2;
    private static final long NANOS_PER_MICRO = 1_000;

    private final int algorithm;
    private final int limits;
    private final byte[] algorithmArgument;
    private final byte[] limitCount;
    private final byte[][] first;
    private final byte[][] second;
    private final long[] periodMicros;
    private final WindowCalendar[] calendars;

    LuaLimits(Algorithm algorithm, ZoneId zone, LimitSpec[] specs) {
        this.algorithm = switch (algorithm) {
            case TokenBucket -> TOKEN_BUCKET;
            case SlidingWindow -> SLIDING_WINDOW;
            case FixedWindow -> FIXED_WINDOW;
        };
        this.limits = specs.length;
        this.algorithmArgument = ascii(this.algorithm);
        this.limitCount = ascii(limits);
        this.first = new byte[limits][];
        this.second = new byte[limits][];
        this.periodMicros = new long[limits];
        this.calendars = new WindowCalendar[limits];
        for (int i = 0; i < limits; i++) {
            LimitSpec spec = specs[i];
            if (this.algorithm == TOKEN_BUCKET) {
                double interval = (double) spec.parsedPeriod().duration().toNanos() / NANOS_PER_MICRO / spec.requests();
                first[i] = Double.toString(interval).getBytes(StandardCharsets.US_ASCII);
                second[i] = ascii(spec.capacity());
            } else if (this.algorithm == SLIDING_WINDOW) {
                periodMicros[i] = spec.parsedPeriod().duration().toNanos() / NANOS_PER_MICRO;
                first[i] = ascii(periodMicros[i]);
                second[i] = ascii(spec.requests());
            } else {
                calendars[i] = new WindowCalendar(spec.parsedPeriod(), zone);
                second[i] = ascii(spec.requests());
            }
        }
    }

    int limits() {
        return limits;
    }

    byte[][] arguments(long giveBack, long min, long max, long nowNanos) {
        long nowMicros = Math.floorDiv(nowNanos, NANOS_PER_MICRO);
        byte[][] args = new byte[6 + 3 * limits][];
        args[0] = algorithmArgument;
        args[1] = ascii(nowMicros);
        args[2] = ascii(giveBack);
        args[3] = ascii(min);
        args[4] = ascii(max);
        args[5] = limitCount;
        long[] bounds = algorithm == FIXED_WINDOW ? new long[2] : null;
        for (int i = 0; i < limits; i++) {
            int at = 6 + 3 * i;
            args[at + 1] = second[i];
            switch (algorithm) {
                case TOKEN_BUCKET -> {
                    args[at] = first[i];
                    args[at + 2] = ZERO;
                }
                case SLIDING_WINDOW -> {
                    args[at] = first[i];
                    args[at + 2] = ascii(nowMicros - Math.floorMod(nowMicros, periodMicros[i]));
                }
                default -> {
                    calendars[i].windowAt(nowNanos, bounds);
                    args[at] = ascii(Math.floorDiv(bounds[1], NANOS_PER_MICRO));
                    args[at + 2] = ascii(Math.floorDiv(bounds[0], NANOS_PER_MICRO));
                }
            }
        }
        return args;
    }

    TakeResult result(List<?> reply) {
        long[] remaining = new long[limits];
        long[] reset = new long[limits];
        long[] wait = new long[limits];
        for (int i = 0; i < limits; i++) {
            remaining[i] = number(reply.get(1 + 3 * i));
            reset[i] = Math.max(0, number(reply.get(2 + 3 * i))) * NANOS_PER_MICRO;
            wait[i] = Math.max(0, number(reply.get(3 + 3 * i))) * NANOS_PER_MICRO;
        }
        return new TakeResult(number(reply.get(0)), remaining, reset, wait);
    }

    private static long number(Object value) {
        return ((Number) value).longValue();
    }

    private static final byte[] ZERO = ascii(0);

    static byte[] ascii(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }
}
