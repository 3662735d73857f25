package dev.sluice.sidecar.match;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class RequestKeyTest {
    private final RequestKey key = new RequestKey();

    @Test
    void hashesAndEqualsLikeTheStringOfItsCharacters() {
        // Latin-1 and beyond, and every length modulo the four characters hashed per step.
        for (String same : new String[] {"", "\u0001", "\u0001\u001fab", "\u0001\u001f203.0.113.7\u001fkey-é€", "\u0000\u001f2001:db8::1\u001fGET /ü"}) {
            key.clear().append(same);

            assertThat(key.hashCode()).as(same).isEqualTo(same.hashCode());
            assertThat(key.equals(same)).as(same).isTrue();
            assertThat(key.toString()).isEqualTo(same);
            assertThat(key.length()).isEqualTo(same.length());
        }
        key.clear().append('\u0001').append("\u001f203.0.113.7").append("\u001fkey-é€");
        assertThat(key.equals("\u0001\u001f203.0.113.7\u001fkey-é")).isFalse();
        assertThat(key.equals("\u0001\u001f203.0.113.7\u001fkey-éx")).isFalse();
        assertThat(key.equals("\u0000\u001f203.0.113.7\u001fkey-é€")).as("another tier").isFalse();
        assertThat(key.equals(new StringBuilder("\u0001\u001f203.0.113.7\u001fkey-é€"))).as("only a String").isFalse();
    }

    @Test
    void findsTheEntryOfItsStringInAConcurrentHashMap() {
        ConcurrentHashMap<String, Integer> map = new ConcurrentHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            map.put("\u0000\u001fclient-" + i, i);
        }

        for (int i : new int[] {0, 42, 9_999}) {
            key.clear().append('\u0000').append("\u001fclient-").append(Integer.toString(i));
            assertThat(map.get(key)).isEqualTo(i);
        }
        key.clear().append('\u0000').append("\u001fclient-10000");
        assertThat(map.get(key)).isNull();
    }

    @Test
    void growsPastItsFirstCapacity() {
        String header = "k".repeat(1_000);

        key.clear().append('\u0000').append(header, 10, 990).append('x');

        assertThat(key.toString()).isEqualTo("\u0000" + header.substring(10, 990) + "x");
        assertThat(key.equals("\u0000" + header.substring(10, 990) + "x")).isTrue();
    }

    @Test
    void clearingForgetsTheStoredString() {
        key.clear().append("\u0000\u001fa");
        key.storedAs("\u0000\u001fa");

        key.clear().append("\u0000\u001fb");

        assertThat(key.toString()).isEqualTo("\u0000\u001fb");
    }
}
