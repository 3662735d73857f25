package dev.sluice.sidecar.backpressure;

/** A policy's concurrency gate with its meters, as the traffic handler uses them. */
public record PolicyGate(ConcurrencyGate gate, GateMetrics metrics) {
}
