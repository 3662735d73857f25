package dev.sluice.sidecar.limit;

/**
 * The answer of one atomic take on a key's shared limits: how many units were granted (the same
 * number from every limit), and each limit's state after it.
 *
 * @param granted units taken from every limit; 0 when fewer than the minimum were available
 * @param remaining per limit, the units left after the take
 * @param resetNanos per limit, nanoseconds until it is full again
 * @param waitNanos per limit, nanoseconds until the minimum asked for fits in it (0 if it fits now)
 */
public record TakeResult(long granted, long[] remaining, long[] resetNanos, long[] waitNanos) {

    /** The limit that keeps the minimum from fitting the longest, or -1 if none does. */
    public int refusingLimit() {
        int refusing = -1;
        for (int i = 0; i < waitNanos.length; i++) {
            if (waitNanos[i] > 0 && (refusing < 0 || waitNanos[i] > waitNanos[refusing])) {
                refusing = i;
            }
        }
        return refusing;
    }
}
