package dev.sluice.operator.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PodReportsTest {
    private static final Instant START = Instant.parse("2026-11-28T04:00:00Z");

    @Test
    void answersCloserThanASecondReplaceTheLastSampleSoAPodKeepsAtMostOneASecond() {
        PodReports reports = new PodReports("web-0", "uid-0");
        // A round every 2 s for 80 s, and after each the four re-reads of a ConfigMap write (0, 250, 500, 1,000 ms).
        for (int round = 0; round < 40; round++) {
            Instant at = START.plusSeconds(2L * round);
            reports.answered(at, Reports.report().rule("api", "r", round, 0, 0).build());
            for (long delay : new long[] {0, 250, 500, 1_000}) {
                reports.answered(at.plusMillis(10 + delay), Reports.report().rule("api", "r", round, 0, 0).build());
            }
        }
        PodSnapshot snapshot = reports.snapshot(START.plusSeconds(80), Duration.ofSeconds(6));
        // One sample a round at least (the minute's rates need them), at most one a second (not five a round).
        assertThat(snapshot.samples()).hasSizeBetween(40, 82);
        assertThat(snapshot.samples()).isSortedAccordingTo((a, b) -> a.at().compareTo(b.at()));
        for (int i = 1; i < snapshot.samples().size() - 1; i++) {
            assertThat(Duration.between(snapshot.samples().get(i - 1).at(), snapshot.samples().get(i).at()))
                    .as("sample %d after the one before", i).isGreaterThanOrEqualTo(PodReports.SPACING);
        }
        assertThat(snapshot.samples().get(0).at()).as("older than KEPT: dropped").isAfterOrEqualTo(START.plus(Duration.ofSeconds(80))
                .minus(PodReports.KEPT).minusSeconds(2));
        assertThat(snapshot.samples().get(snapshot.samples().size() - 1).at()).as("the newest answer is kept")
                .isEqualTo(START.plusSeconds(78).plusMillis(1_010));
    }
}
