package dev.sluice.sidecar.match;

import java.util.Arrays;

/**
 * A request's compound key, built in place in a buffer each I/O thread reuses, and looked up in a
 * map of {@code String} keys without a {@code String} being made of it: it hashes like the
 * {@code String} of the same characters and equals such a {@code String}, which is all
 * {@link java.util.concurrent.ConcurrentHashMap#get} asks of its argument ({@code key.equals(k)}
 * against each stored key {@code k}). A {@code String} is made only for a key the map does not hold
 * yet; once the holder says which stored {@code String} the key equals ({@link #storedAs}),
 * {@link #toString()} returns that one.
 *
 * <p>The equality is one-way (a {@code String} never equals this), so this is for lookups only,
 * never a key put in a map. Not thread-safe: one per thread, like the {@code Decision} that holds it.
 */
public final class RequestKey implements CharSequence {
    private static final int INITIAL_CAPACITY = 64;

    private char[] chars = new char[INITIAL_CAPACITY];
    private int length;
    /** Where a stored key's characters are copied to be compared with {@link #chars} in bulk. */
    private char[] compared = new char[INITIAL_CAPACITY];
    private String string;

    /** Empties the key for the next request. */
    public RequestKey clear() {
        length = 0;
        string = null;
        return this;
    }

    public RequestKey append(char c) {
        ensureRoom(1);
        chars[length++] = c;
        string = null;
        return this;
    }

    public RequestKey append(String s) {
        return append(s, 0, s.length());
    }

    /** Appends {@code s.substring(start, end)} without making it. */
    public RequestKey append(String s, int start, int end) {
        ensureRoom(end - start);
        s.getChars(start, end, chars, length);
        length += end - start;
        string = null;
        return this;
    }

    /** The key is held as {@code stored} (equal to it): {@link #toString()} returns it rather than a copy. */
    public void storedAs(String stored) {
        string = stored;
    }

    /**
     * {@link String#hashCode()} of the same characters: {@code s[0]·31^(n-1) + … + s[n-1]}, four
     * characters per step so that the multiplications do not wait on each other (the same value modulo
     * 2^32).
     */
    @Override
    public int hashCode() {
        char[] value = chars;
        int n = length;
        int hash = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            hash = 923_521 * hash + 29_791 * value[i] + 961 * value[i + 1] + 31 * value[i + 2] + value[i + 3];
        }
        for (; i < n; i++) {
            hash = 31 * hash + value[i];
        }
        return hash;
    }

    /** True for a {@code String} of the same characters (and for itself). */
    @Override
    public boolean equals(Object other) {
        if (other == this) {
            return true;
        }
        if (!(other instanceof String stored) || stored.length() != length) {
            return false;
        }
        stored.getChars(0, length, compared, 0);
        return Arrays.equals(compared, 0, length, chars, 0, length);
    }

    @Override
    public String toString() {
        if (string == null) {
            string = new String(chars, 0, length);
        }
        return string;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index >= length) {
            throw new IndexOutOfBoundsException("index " + index + ", length " + length);
        }
        return chars[index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }

    private void ensureRoom(int more) {
        if (length + more > chars.length) {
            int capacity = Math.max(chars.length * 2, length + more);
            chars = Arrays.copyOf(chars, capacity);
            compared = new char[capacity];
        }
    }
}
