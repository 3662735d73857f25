package dev.sluice.sidecar.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThrottledLogTest {
    private static final long START = 1_000_000_000_000L;

    @Test
    void theFirstEventIsLoggedThenOneLinePerIntervalWithTheCountSinceTheLast() {
        ThrottledLog log = new ThrottledLog();

        assertThat(log.due(START)).isEqualTo(1);
        assertThat(log.due(START + 1)).as("within the interval").isEqualTo(-1);
        assertThat(log.due(START + ThrottledLog.INTERVAL_NANOS - 1)).isEqualTo(-1);
        assertThat(log.due(START + ThrottledLog.INTERVAL_NANOS)).as("the two counted in between, and this one").isEqualTo(3);
        assertThat(log.due(START + ThrottledLog.INTERVAL_NANOS + 1)).isEqualTo(-1);
    }

    @Test
    void anIdleStretchLogsTheNextEventAtOnce() {
        ThrottledLog log = new ThrottledLog();
        log.due(START);

        assertThat(log.due(START + 5 * ThrottledLog.INTERVAL_NANOS)).isEqualTo(1);
    }
}
