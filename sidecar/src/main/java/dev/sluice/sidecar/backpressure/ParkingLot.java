package dev.sluice.sidecar.backpressure;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sidecar's room for parked requests, over every policy's gate and every configuration a reload put in
 * force: each gate bounds its own queue, and this bounds their sum, so that a pod under many policies (or a
 * reload that swaps the gates while requests wait) cannot hold more waiting exchanges than {@code --max-parked}.
 * A request takes a place before it is parked and gives it back once, when it is admitted or refused.
 */
public final class ParkingLot {
    private final int capacity;
    private final AtomicInteger parked = new AtomicInteger();

    public ParkingLot(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("a parking lot of " + capacity + " places");
        }
        this.capacity = capacity;
    }

    /** Takes a place; false when all {@link #capacity()} are taken, and the request must be refused instead. */
    public boolean tryPark() {
        while (true) {
            int now = parked.get();
            if (now >= capacity) {
                return false;
            }
            if (parked.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Gives back the place {@link #tryPark()} took. */
    public void leave() {
        parked.decrementAndGet();
    }

    public int parked() {
        return parked.get();
    }

    public int capacity() {
        return capacity;
    }
}
