package dev.sluice.sidecar.limit;

/** The counter of one limit for one key. Implementations are thread-safe. */
public interface LimitCounter extends Refundable {
    /**
     * Takes {@code cost} if the limit allows it and reports the counter's state into {@code usage}.
     *
     * @return whether the cost was taken
     */
    boolean tryConsume(long cost, long nowNanos, Usage usage);

    /**
     * The instant (clock nanoseconds) from which this counter is full again if nothing more is taken
     * from it, so that forgetting it changes nothing: never earlier than the truth (a refund may make
     * it full sooner), {@link Long#MIN_VALUE} if nothing was ever taken.
     */
    long fullAt();

    /** Gives back a cost taken by a request that another limit or rule then rejected. */
    @Override
    void refund(long cost, long nowNanos);
}
