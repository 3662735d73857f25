package dev.sluice.sidecar.limit;

/** The counter of one limit for one key. Implementations are thread-safe. */
public interface LimitCounter extends Refundable {
    /**
     * Takes {@code cost} if the limit allows it and reports the counter's state into {@code usage}.
     *
     * @return whether the cost was taken
     */
    boolean tryConsume(long cost, long nowNanos, Usage usage);

    /** Gives back a cost taken by a request that another limit or rule then rejected. */
    @Override
    void refund(long cost, long nowNanos);
}
