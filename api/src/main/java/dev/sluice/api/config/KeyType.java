package dev.sluice.api.config;

/** One dimension of a rule's compound key. */
public enum KeyType {
    /** The client address: the peer, or the X-Forwarded-For entry set by the nearest trusted proxy. */
    ClientIP,
    /** The value of a request header ({@code header}). */
    Header,
    /** One segment of the request path ({@code segment}, zero-based). */
    PathSegment,
    /** The request method and path, without the query: every endpoint gets its own counters. */
    Route
}
