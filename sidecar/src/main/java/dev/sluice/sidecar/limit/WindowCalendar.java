package dev.sluice.sidecar.limit;

import dev.sluice.api.config.LimitPeriod;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneRules;

/**
 * Where fixed windows start and end. Periods of whole days and months follow the calendar of the
 * rule's time zone (a daily quota resets at local midnight, a monthly one on the first, whatever the
 * month's length or a daylight-saving change); shorter periods are aligned to multiples of the period
 * since local midnight of the Unix epoch day.
 */
public final class WindowCalendar {
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final LimitPeriod period;
    private final ZoneId zone;
    private final ZoneRules rules;
    /**
     * The zone's offset if it never changes (UTC, the default), so that a window shorter than a day
     * is found without a lookup that allocates; null for a zone with daylight-saving or other changes.
     */
    private final ZoneOffset fixedOffset;
    private final long periodNanos;

    public WindowCalendar(LimitPeriod period, ZoneId zone) {
        this.period = period;
        this.zone = zone;
        this.rules = zone.getRules();
        this.fixedOffset = rules.isFixedOffset() ? rules.getOffset(Instant.EPOCH) : null;
        this.periodNanos = period.isCalendarMonths() ? 0 : period.duration().toNanos();
    }

    /** Writes the window containing {@code nowNanos} as {@code [bounds[0], bounds[1])}. */
    public void windowAt(long nowNanos, long[] bounds) {
        if (period.isCalendarMonths()) {
            ZonedDateTime now = toZoned(nowNanos);
            long monthIndex = now.getYear() * 12L + now.getMonthValue() - 1;
            long startIndex = monthIndex - Math.floorMod(monthIndex, period.months());
            ZonedDateTime start = ZonedDateTime.of((int) (startIndex / 12), (int) (startIndex % 12) + 1, 1, 0, 0, 0, 0, zone);
            bounds[0] = toNanos(start);
            bounds[1] = toNanos(start.plusMonths(period.months()));
        } else if (periodNanos % NANOS_PER_DAY == 0) {
            long days = periodNanos / NANOS_PER_DAY;
            ZonedDateTime now = toZoned(nowNanos);
            long epochDay = now.toLocalDate().toEpochDay();
            long startDay = epochDay - Math.floorMod(epochDay, days);
            ZonedDateTime start = ZonedDateTime.of(java.time.LocalDate.ofEpochDay(startDay), LocalTime.MIDNIGHT, zone);
            bounds[0] = toNanos(start);
            bounds[1] = toNanos(start.plusDays(days));
        } else {
            ZoneOffset offset = fixedOffset != null ? fixedOffset : rules.getOffset(Instant.ofEpochSecond(Math.floorDiv(nowNanos, NANOS_PER_SECOND)));
            long offsetNanos = offset.getTotalSeconds() * NANOS_PER_SECOND;
            long local = nowNanos + offsetNanos;
            long start = local - Math.floorMod(local, periodNanos) - offsetNanos;
            bounds[0] = start;
            bounds[1] = start + periodNanos;
        }
    }

    private ZonedDateTime toZoned(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND), Math.floorMod(nanos, NANOS_PER_SECOND)).atZone(zone);
    }

    private static long toNanos(ZonedDateTime time) {
        Instant instant = time.truncatedTo(ChronoUnit.NANOS).toInstant();
        return instant.getEpochSecond() * NANOS_PER_SECOND + instant.getNano();
    }
}
