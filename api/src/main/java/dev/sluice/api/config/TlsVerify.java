package dev.sluice.api.config;

/** How much of the Redis server's certificate is checked. */
public enum TlsVerify {
    /** The chain and the host name. */
    Full,
    /** The chain only (for servers reached by an address their certificate does not name). */
    CA,
    /** Nothing: encryption without authentication of the server; for tests only. */
    None
}
