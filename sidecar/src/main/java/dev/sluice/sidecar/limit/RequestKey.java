package dev.sluice.sidecar.limit;

/**
 * The key of the request being decided, built in place by each I/O thread's {@link Decision} and
 * looked up in a {@link KeyStore} without making a {@code String} of it: it hashes like the
 * {@code String} of the same characters and equals such a {@code String}, which is all a
 * {@link java.util.concurrent.ConcurrentHashMap#get} lookup asks of its argument ({@code key.equals(k)}
 * against each stored key {@code k}). The {@code String} is made only for a key the store does not
 * hold yet; for a known key, {@link #toString()} is the store's own.
 *
 * <p>The equality is one-way (a {@code String} never equals this), so this is for lookups only,
 * never a key put in a map.
 */
final class RequestKey implements CharSequence {
    private final StringBuilder chars = new StringBuilder(64);
    private String string;

    /** Starts the key of a request of tier {@code tier} (its first character); the caller appends the dimensions. */
    StringBuilder start(int tier) {
        chars.setLength(0);
        chars.append((char) tier);
        string = null;
        return chars;
    }

    /** Its tier: the index into the rule's tiers that the key starts with. */
    int tier() {
        return chars.charAt(0);
    }

    /** The store holds this key as {@code stored}: {@link #toString()} returns it rather than a copy. */
    void found(String stored) {
        string = stored;
    }

    /** {@link String#hashCode()} of the same characters. */
    @Override
    public int hashCode() {
        int hash = 0;
        for (int i = 0, length = chars.length(); i < length; i++) {
            hash = 31 * hash + chars.charAt(i);
        }
        return hash;
    }

    /** True for a {@code String} of the same characters (and for itself). */
    @Override
    public boolean equals(Object other) {
        return other == this || other instanceof String stored && stored.contentEquals(chars);
    }

    @Override
    public String toString() {
        if (string == null) {
            string = chars.toString();
        }
        return string;
    }

    @Override
    public int length() {
        return chars.length();
    }

    @Override
    public char charAt(int index) {
        return chars.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }
}
