package dev.sluice.api.config;

/** Errors, rather than responses, that a circuit breaker may count as failures. */
public enum FailureKind {
    /** The upstream refused or did not accept the connection. */
    ConnectFailure,
    /** No complete response within the timeout. */
    Timeout,
    /** The connection broke while the request or response was under way. */
    Reset
}
