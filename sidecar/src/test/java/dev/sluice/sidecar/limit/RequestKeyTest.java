package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class RequestKeyTest {
    private final RequestKey key = new RequestKey();

    @Test
    void hashesAndEqualsLikeTheStringOfItsCharacters() {
        key.start(1).append("\u001f203.0.113.7\u001fkey-é€");
        String same = "\u0001\u001f203.0.113.7\u001fkey-é€";

        assertThat(key.hashCode()).isEqualTo(same.hashCode());
        assertThat(key.equals(same)).isTrue();
        assertThat(key.equals("\u0001\u001f203.0.113.7\u001fkey-e")).isFalse();
        assertThat(key.equals("\u0000\u001f203.0.113.7\u001fkey-é€")).as("another tier").isFalse();
        assertThat(key.tier()).isEqualTo(1);
        assertThat(key.toString()).isEqualTo(same);
    }

    @Test
    void findsTheEntryOfItsStringInAConcurrentHashMap() {
        ConcurrentHashMap<String, Integer> map = new ConcurrentHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            map.put("\u0000\u001fclient-" + i, i);
        }

        for (int i : new int[] {0, 42, 9_999}) {
            key.start(0).append("\u001fclient-").append(i);
            assertThat(map.get(key)).isEqualTo(i);
        }
        key.start(0).append("\u001fclient-10000");
        assertThat(map.get(key)).isNull();
    }

    @Test
    void startingAgainForgetsTheKeyBefore() {
        key.start(0).append("\u001fa");
        key.found("\u0000\u001fa");

        key.start(0).append("\u001fb");

        assertThat(key.toString()).isEqualTo("\u0000\u001fb");
        assertThat(key.length()).isEqualTo(3);
    }
}
