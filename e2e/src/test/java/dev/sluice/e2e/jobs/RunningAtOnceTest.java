package dev.sluice.e2e.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.e2e.jobs.RunningAtOnce.Run;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunningAtOnceTest {
    @Test
    void countsRunsThatOverlapAtSomeInstant() {
        assertThat(RunningAtOnce.peak(List.of(run(0, 10), run(2, 4), run(3, 12), run(11, 13)))).isEqualTo(3);
    }

    @Test
    void aRunStartingInTheSecondAnotherFinishesDoesNotOverlapIt() {
        assertThat(RunningAtOnce.peak(List.of(run(0, 3), run(3, 6), run(6, 9)))).isEqualTo(1);
    }

    @Test
    void runsInTheSameSecondsOverlap() {
        assertThat(RunningAtOnce.peak(List.of(run(5, 8), run(5, 8), run(7, 9)))).isEqualTo(3);
    }

    @Test
    void noRunsRunNothing() {
        assertThat(RunningAtOnce.peak(List.of())).isZero();
    }

    private static Run run(int start, int finish) {
        return new Run("c", Instant.ofEpochSecond(start), Instant.ofEpochSecond(finish));
    }
}
