package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.match.RequestKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyStoreTest {
    private static final Duration IDLE = Duration.ofMinutes(10);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<Held> forgotten = new ArrayList<>();

    /** A key's counters reduced to what the store asks of them: from when forgetting them changes nothing. */
    static final class Held {
        final String key;
        long fullAt = Long.MIN_VALUE;

        Held(String key) {
            this.key = key;
        }
    }

    private final KeyRetention<Held> retention = new KeyRetention<>() {
        @Override
        public long forgettableAt(Held held) {
            return held.fullAt;
        }

        @Override
        public void forgotten(Held held, long nowNanos) {
            forgotten.add(held);
        }
    };

    private KeyStore<Held> store(long maxKeys) {
        return new KeyStore<>(maxKeys, IDLE, 1, Held::new, retention);
    }

    private static String key(String client) {
        return "\u0000\u001f" + client;
    }

    /** Takes the key's counters and leaves them limited until {@code limitedFor} from now. */
    private Held take(KeyStore<Held> store, String client, Duration limitedFor) {
        Held held = store.countersFor(key(client), clock.nanos());
        held.fullAt = Math.max(held.fullAt, clock.nanos() + limitedFor.toNanos());
        return held;
    }

    @Test
    void anIdleKeyIsKeptUntilItsCountersAreFullAgain() {
        KeyStore<Held> store = store(1_000);
        Held limited = take(store, "limited", Duration.ofHours(1));
        take(store, "full", Duration.ZERO);

        clock.advance(IDLE.plusMinutes(1));
        store.cleanUp(clock.nanos());

        assertThat(store.size()).isEqualTo(1);
        assertThat(store.countersFor(key("limited"), clock.nanos())).isSameAs(limited);
        assertThat(forgotten).extracting(held -> held.key).containsExactly(key("full"));

        clock.advance(Duration.ofHours(1));
        store.cleanUp(clock.nanos());
        assertThat(store.size()).isZero();
        assertThat(store.evicted(KeyStore.Eviction.IDLE)).isEqualTo(2);
    }

    @Test
    void aKeyFullAgainButSeenWithinIdleTimeoutIsKeptWhileThereIsRoom() {
        KeyStore<Held> store = store(1_000);
        take(store, "busy", Duration.ofSeconds(1));

        clock.advance(Duration.ofMinutes(5));
        store.cleanUp(clock.nanos());

        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void requestsSweepIdleKeysASliceAtATime() {
        KeyStore<Held> store = store(10_000);
        for (int i = 0; i < 5_000; i++) {
            take(store, "client-" + i, Duration.ZERO);
        }
        clock.advance(IDLE.plusMinutes(1));

        int requests = 0;
        while (store.size() > 1 && requests < 1_000) {
            take(store, "busy", Duration.ZERO);
            requests++;
        }

        assertThat(store.size()).isEqualTo(1);
        // Each request looked at one slice, never at the whole store.
        assertThat(requests).isGreaterThanOrEqualTo(5_000 / KeyStore.SWEEP_SLICE);
    }

    @Test
    void atTheCapKeysFullAgainMakeRoomAndLimitedOnesStay() {
        KeyStore<Held> store = store(1_000);
        List<Held> limited = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            limited.add(take(store, "limited-" + i, Duration.ofHours(1)));
        }
        for (int i = 0; i < 500; i++) {
            take(store, "full-" + i, Duration.ZERO);
        }
        clock.advance(Duration.ofMillis(1));

        for (int i = 0; i < 500; i++) {
            take(store, "new-" + i, Duration.ofHours(1));
        }

        assertThat(store.size()).isEqualTo(1_000);
        assertThat(store.evicted(KeyStore.Eviction.CAP)).isEqualTo(500);
        assertThat(store.overflowed()).isZero();
        for (int i = 0; i < 500; i++) {
            assertThat(store.countersFor(key("limited-" + i), clock.nanos())).isSameAs(limited.get(i));
        }
    }

    @Test
    void aFloodOfNewKeysWhileEveryKeptKeyIsLimitedIsCountedInOverflowShares() {
        KeyStore<Held> store = store(1_000);
        List<Held> limited = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            limited.add(take(store, "limited-" + i, Duration.ofHours(1)));
        }

        List<Held> seenByNewKeys = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            clock.advance(Duration.ofMillis(1));
            seenByNewKeys.add(store.countersFor(key("new-" + i), clock.nanos()));
        }

        assertThat(store.size()).isEqualTo(1_000);
        assertThat(store.evicted(KeyStore.Eviction.CAP)).isZero();
        assertThat(store.overflowed()).isEqualTo(10_000);
        assertThat(seenByNewKeys).doesNotContainAnyElementsOf(limited);
        // The same new key always lands in the same share, and the shares are bounded.
        assertThat(store.countersFor(key("new-7"), clock.nanos())).isSameAs(seenByNewKeys.get(7));
        assertThat(seenByNewKeys.stream().distinct().count()).isLessThanOrEqualTo(KeyStore.OVERFLOW_SHARES);
        assertThat(seenByNewKeys.get(7).key).isEqualTo(KeyStore.overflowKey(0, indexOf(seenByNewKeys.get(7))));
        for (int i = 0; i < 1_000; i++) {
            assertThat(store.countersFor(key("limited-" + i), clock.nanos())).isSameAs(limited.get(i));
        }
    }

    @Test
    void aNewKeyStaysInItsOverflowShareUntilTheShareIsFullAgain() {
        KeyStore<Held> store = store(1);
        Held kept = take(store, "kept", Duration.ofMinutes(1));
        Held share = take(store, "newcomer", Duration.ofHours(1));
        assertThat(share).isNotSameAs(kept);

        // The kept key is full again: there is room, but the newcomer's share still limits it.
        clock.advance(Duration.ofMinutes(2));
        assertThat(store.countersFor(key("newcomer"), clock.nanos())).isSameAs(share);

        clock.advance(Duration.ofHours(1));
        Held own = store.countersFor(key("newcomer"), clock.nanos());
        assertThat(own).isNotSameAs(share);
        assertThat(own.key).isEqualTo(key("newcomer"));
        assertThat(store.evicted(KeyStore.Eviction.CAP)).isEqualTo(1);
    }

    @Test
    void aKeyJustSeenIsNotDroppedToMakeRoomInTheSameInstant() {
        KeyStore<Held> store = store(1);
        Held first = take(store, "first", Duration.ZERO);

        Held second = store.countersFor(key("second"), clock.nanos());

        assertThat(second).isNotSameAs(first);
        assertThat(store.countersFor(key("first"), clock.nanos())).isSameAs(first);
    }

    @Test
    void aRequestKeyFindsTheCountersOfItsStringAndTakesTheStoredString() {
        KeyStore<Held> store = store(1_000);
        RequestKey requestKey = new RequestKey().append(key("client"));

        Held created = store.countersFor(requestKey, clock.nanos());
        assertThat(created.key).isEqualTo(key("client"));
        assertThat(store.countersFor(key("client"), clock.nanos())).isSameAs(created);

        requestKey.clear().append(key("client"));
        assertThat(store.countersFor(requestKey, clock.nanos())).isSameAs(created);
        assertThat(requestKey.toString()).isSameAs(created.key);
        assertThat(store.size()).isEqualTo(1);
    }

    private static int indexOf(Held share) {
        return Integer.parseInt(share.key.substring(share.key.indexOf('-') + 1));
    }
}
