package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KeyStoreTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aFloodOfDistinctKeysStaysWithinTheCap() {
        KeyStore store = new KeyStore(1_000, Duration.ofMinutes(10), clock, key -> new LimitCounter[0]);

        for (int i = 0; i < 50_000; i++) {
            store.countersFor("client-" + i);
        }
        store.cleanUp();

        assertThat(store.size()).isLessThanOrEqualTo(1_000);
        assertThat(store.evictedForSize()).isGreaterThanOrEqualTo(49_000);
    }

    @Test
    void idleKeysExpire() {
        KeyStore store = new KeyStore(1_000, Duration.ofMinutes(10), clock, key -> new LimitCounter[0]);
        store.countersFor("idle");
        clock.advance(Duration.ofMinutes(5));
        store.countersFor("busy");
        clock.advance(Duration.ofMinutes(6));
        store.countersFor("busy");

        store.cleanUp();

        assertThat(store.size()).isEqualTo(1);
        assertThat(store.expired()).isEqualTo(1);
    }
}
