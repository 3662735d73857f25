package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.LimitPeriod;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class WindowCalendarTest {

    @Test
    void shortPeriodsAlignToMultiplesOfThePeriod() {
        assertThat(window("15m", ZoneOffset.UTC, "2026-05-05T10:31:12Z")).containsExactly("2026-05-05T10:30:00Z", "2026-05-05T10:45:00Z");
    }

    @Test
    void hoursAlignToLocalTimeInHalfHourZones() {
        assertThat(window("1h", ZoneId.of("Asia/Kolkata"), "2026-05-05T10:31:12Z"))
                .containsExactly("2026-05-05T10:30:00Z", "2026-05-05T11:30:00Z");
        // The same offset as a fixed one, which the calendar reads once rather than per window.
        assertThat(window("1h", ZoneOffset.ofHoursMinutes(5, 30), "2026-05-05T10:31:12Z"))
                .containsExactly("2026-05-05T10:30:00Z", "2026-05-05T11:30:00Z");
    }

    @Test
    void hoursFollowDaylightSavingChanges() {
        // Paris is UTC+1 in winter and UTC+2 in summer; a 2-hour window aligns to local time in each.
        assertThat(window("2h", ZoneId.of("Europe/Paris"), "2026-01-10T12:30:00Z"))
                .containsExactly("2026-01-10T11:00:00Z", "2026-01-10T13:00:00Z");
        assertThat(window("2h", ZoneId.of("Europe/Paris"), "2026-07-10T12:30:00Z"))
                .containsExactly("2026-07-10T12:00:00Z", "2026-07-10T14:00:00Z");
    }

    @Test
    void daysFollowDaylightSavingChanges() {
        // 29 March 2026: Paris moves to summer time, so that local day lasts 23 hours.
        assertThat(window("1d", ZoneId.of("Europe/Paris"), "2026-03-29T12:00:00Z"))
                .containsExactly("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    }

    @Test
    void monthsAndQuarters() {
        assertThat(window("1mo", ZoneOffset.UTC, "2026-02-14T00:00:00Z")).containsExactly("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z");
        assertThat(window("3mo", ZoneOffset.UTC, "2026-05-14T00:00:00Z")).containsExactly("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z");
    }

    private static String[] window(String period, ZoneId zone, String at) {
        long[] bounds = new long[2];
        Instant instant = Instant.parse(at);
        new WindowCalendar(LimitPeriod.parse(period), zone).windowAt(instant.getEpochSecond() * 1_000_000_000L, bounds);
        return new String[] {instant(bounds[0]), instant(bounds[1])};
    }

    private static String instant(long nanos) {
        return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L).toString();
    }
}
