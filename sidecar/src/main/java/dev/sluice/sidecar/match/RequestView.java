package dev.sluice.sidecar.match;

import java.util.List;

/** What the limiters read of a request, so that matching and keys are tested without a server. */
public interface RequestView {
    String method();

    /** The decoded request path, without the query. */
    String path();

    /** The first value of a header, or null. */
    String header(String name);

    /** Every line of a header in the order received, empty when absent; not copied, so read it, never keep it. */
    List<String> headerLines(String name);

    /** The TCP peer's address bytes. */
    byte[] peerAddress();

    /** The TCP peer's address as text. */
    String peerAddressText();
}
