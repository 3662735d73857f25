package dev.sluice.sidecar.limit;

/** Something a request took from, that gives it back when another limit or rule refuses the request. */
public interface Refundable {
    void refund(long cost, long nowNanos);
}
