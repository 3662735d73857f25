package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitPeriodTest {

    @Test
    void parsesEveryUnit() {
        assertThat(LimitPeriod.parse("250ms").duration()).isEqualTo(Duration.ofMillis(250));
        assertThat(LimitPeriod.parse("1s").duration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(LimitPeriod.parse("5m").duration()).isEqualTo(Duration.ofMinutes(5));
        assertThat(LimitPeriod.parse("2h").duration()).isEqualTo(Duration.ofHours(2));
        assertThat(LimitPeriod.parse("1d").duration()).isEqualTo(Duration.ofDays(1));
        assertThat(LimitPeriod.parse("3mo").months()).isEqualTo(3);
        assertThat(LimitPeriod.parse("3mo").isCalendarMonths()).isTrue();
    }

    @Test
    void nominalSecondsDescribeTheWindow() {
        assertThat(LimitPeriod.parse("500ms").nominalSeconds()).isEqualTo(1);
        assertThat(LimitPeriod.parse("1h").nominalSeconds()).isEqualTo(3600);
        assertThat(LimitPeriod.parse("1mo").nominalSeconds()).isEqualTo(30 * 86400);
    }

    @Test
    void refusesWhatIsNotAPeriod() {
        assertThatThrownBy(() -> LimitPeriod.parse("1 s")).hasMessageContaining("'1 s' is not a period");
        assertThatThrownBy(() -> LimitPeriod.parse("1w")).hasMessageContaining("'1w' is not a period");
        assertThatThrownBy(() -> LimitPeriod.parse("-1s")).hasMessageContaining("is not a period");
        assertThatThrownBy(() -> LimitPeriod.parse("0m")).hasMessageContaining("longer than zero");
        assertThatThrownBy(() -> LimitPeriod.parseDuration("1mo")).hasMessageContaining("fixed duration");
    }
}
