package dev.sluice.sidecar.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.limit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void retriesAreCappedAtTheShareOfRequests() {
        RetryBudget budget = new RetryBudget(20, 0, clock);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }
        int granted = 0;
        for (int i = 0; i < 100; i++) {
            if (budget.tryRetry()) {
                granted++;
            }
        }
        assertThat(granted).isEqualTo(20);
        assertThat(budget.remaining()).isZero();
    }

    @Test
    void aQuietServiceMayStillRetryAtTheMinimumRate() {
        RetryBudget budget = new RetryBudget(20, 1, clock);
        int granted = 0;
        for (int i = 0; i < 50; i++) {
            if (budget.tryRetry()) {
                granted++;
            }
        }
        assertThat(granted).isEqualTo(10);
    }

    @Test
    void requestsAndRetriesOlderThanTenSecondsNoLongerCount() {
        RetryBudget budget = new RetryBudget(50, 0, clock);
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        assertThat(budget.remaining()).isEqualTo(5);
        clock.advance(Duration.ofSeconds(5));
        assertThat(budget.tryRetry()).isTrue();
        assertThat(budget.remaining()).isEqualTo(4);
        clock.advance(Duration.ofSeconds(5));
        assertThat(budget.remaining()).as("the first requests left the window; the retry 5 s ago did not").isZero();
        clock.advance(Duration.ofSeconds(6));
        assertThat(budget.remaining()).isZero();
        budget.onRequest();
        budget.onRequest();
        assertThat(budget.remaining()).isEqualTo(1);
    }
}
