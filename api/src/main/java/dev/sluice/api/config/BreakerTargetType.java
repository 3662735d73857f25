package dev.sluice.api.config;

/** Which side of the pod a circuit breaker guards. */
public enum BreakerTargetType {
    /** Requests from clients to the pod's app. */
    Inbound,
    /** The app's calls out through an outbound route. */
    Outbound
}
