package dev.sluice.sidecar;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.DefaultByteBufferPool;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

/**
 * The sidecar's I/O buffers (both servers', and its connections to the app, which borrow the traffic port's): direct
 * buffers, made once and reused, at most {@code budget} of them; past the budget, heap buffers that the garbage collector
 * takes back, so that running out of direct memory slows the sidecar down instead of wedging it.
 *
 * <p>Why not Undertow's own pool. The builder's {@code DefaultByteBufferPool} keeps four buffers per thread and drops every
 * other one it gets back, leaving its direct memory to be freed by a garbage collection. Under HTTP/2, where each frame
 * written takes a buffer of its own (even a 9-byte frame header), it makes and drops thousands a second, the direct memory
 * fills with dropped buffers, and a full {@code -XX:MaxDirectMemorySize} makes {@code ByteBuffer.allocateDirect} throw
 * {@code OutOfMemoryError} inside the I/O thread, in the middle of writing a frame: the stream whose frame it was is never
 * answered, the buffers it held are never given back, and the sidecar stays ready while it serves nothing more (128 gRPC
 * calls in flight with 16 MiB of direct memory, docs/benchmarks.md). Reused, the buffers in use follow the streams and
 * requests in flight (about one each, measured with 16 to 256 gRPC calls in flight), and the direct memory is bounded by
 * the budget whatever the load. Past it a buffer comes from the heap, which the JDK copies through a small per-thread
 * direct buffer at each read and write: slower, counted ({@code sluice_io_buffers_spilled_total}), but nothing throws.
 *
 * <p>The buffers are always 16 KiB (less the 20 bytes Undertow leaves for protocol headers, UNDERTOW-1209: its own size
 * with 128 MiB of heap or more), whatever the direct memory: a small {@code -XX:MaxDirectMemorySize} makes the budget
 * smaller, not the buffers. 16 KiB holds an HTTP/2 frame of the default largest size and an HTTP/1.1 request's headers
 * in one read; with 512-byte or 1 KiB buffers, what Undertow picks for a heap under 128 MiB, a request's headers take
 * several reads and a body many more writes.
 */
final class IoBufferPool implements ByteBufferPool {
    /** 16 KiB less Undertow's 20 bytes. */
    static final int SIZE = 16 * 1024 - 20;
    /** The share of the direct memory left to the JDK's temporary direct buffers (heap buffers' reads and writes). */
    static final int RESERVE_EIGHTHS = 1;

    private final int size;
    private final int budget;
    /** Direct buffers given back, to be handed out again. */
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    /** Direct buffers made so far: never more than {@link #budget}, never fewer later (they are reused, not freed). */
    private final AtomicInteger made = new AtomicInteger();
    private final AtomicInteger directInUse = new AtomicInteger();
    private final LongAdder spilled = new LongAdder();
    private final ByteBufferPool arrayBacked;

    /**
     * @param size each buffer's size in bytes
     * @param budget the most direct buffers ever made; 0 for heap buffers only
     */
    IoBufferPool(int size, int budget) {
        if (size < 1) {
            throw new IllegalArgumentException("buffer size must be positive, got " + size);
        }
        if (budget < 0) {
            throw new IllegalArgumentException("direct buffer budget must be 0 or more, got " + budget);
        }
        this.size = size;
        this.budget = budget;
        // What Undertow asks for when it needs a buffer's array (form parsing, for one): heap buffers, Undertow's own pool.
        this.arrayBacked = new DefaultByteBufferPool(false, size, -1, 4);
    }

    /** Sized for {@link #maxDirectMemory()}. */
    static IoBufferPool forThisJvm() {
        return forDirectMemory(maxDirectMemory());
    }

    /** As many {@link #SIZE} buffers as {@code maxDirectMemory} holds, less an eighth left to the JDK's temporary direct buffers. */
    static IoBufferPool forDirectMemory(long maxDirectMemory) {
        if (maxDirectMemory <= 0) {
            throw new IllegalArgumentException("maxDirectMemory must be positive, got " + maxDirectMemory);
        }
        return new IoBufferPool(SIZE, (int) Math.min(Integer.MAX_VALUE, maxDirectMemory / 8 * (8 - RESERVE_EIGHTHS) / SIZE));
    }

    /**
     * What {@code -XX:MaxDirectMemorySize} allows, or when it is not set (0) the heap's maximum, which is what the JDK then
     * allows.
     */
    static long maxDirectMemory() {
        long option = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue());
        return option > 0 ? option : Runtime.getRuntime().maxMemory();
    }

    @Override
    public PooledByteBuffer allocate() {
        ByteBuffer buffer = free.poll();
        if (buffer == null) {
            buffer = makeDirect();
        }
        if (buffer == null) {
            spilled.increment();
            return new Pooled(null, ByteBuffer.allocate(size));
        }
        directInUse.incrementAndGet();
        buffer.clear();
        return new Pooled(this, buffer);
    }

    /** A new direct buffer while the budget allows one, else null. */
    private ByteBuffer makeDirect() {
        int count;
        do {
            count = made.get();
            if (count >= budget) {
                return null;
            }
        } while (!made.compareAndSet(count, count + 1));
        try {
            return ByteBuffer.allocateDirect(size);
        } catch (OutOfMemoryError directMemoryFull) {
            // Someone else's direct memory (the admin port's, the JDK's temporary buffers) took the rest: never again.
            made.set(Integer.MAX_VALUE);
            return null;
        }
    }

    private void giveBack(ByteBuffer buffer) {
        directInUse.decrementAndGet();
        free.offer(buffer);
    }

    int size() {
        return size;
    }

    int budget() {
        return budget;
    }

    /** Direct buffers made so far (in use or free), at most the budget. */
    int directMade() {
        return Math.min(made.get(), budget);
    }

    /** Direct buffers handed out and not yet given back. */
    int directInUse() {
        return directInUse.get();
    }

    /** Heap buffers handed out because the direct ones were all in use. */
    long spilled() {
        return spilled.sum();
    }

    @Override
    public ByteBufferPool getArrayBackedPool() {
        return arrayBacked;
    }

    @Override
    public void close() {
        arrayBacked.close();
    }

    @Override
    public int getBufferSize() {
        return size;
    }

    @Override
    public boolean isDirect() {
        return true;
    }

    /** One handed-out buffer; closing it twice gives it back once, as Undertow's own do. */
    private static final class Pooled implements PooledByteBuffer {
        private static final AtomicIntegerFieldUpdater<Pooled> OPEN = AtomicIntegerFieldUpdater.newUpdater(Pooled.class, "open");
        /** Where a direct buffer goes back to; null for a heap buffer, which the collector takes. */
        private final IoBufferPool pool;
        private final ByteBuffer buffer;
        @SuppressWarnings("unused")
        private volatile int open = 1;

        Pooled(IoBufferPool pool, ByteBuffer buffer) {
            this.pool = pool;
            this.buffer = buffer;
        }

        @Override
        public ByteBuffer getBuffer() {
            if (open == 0) {
                throw new IllegalStateException("buffer already given back to the pool");
            }
            return buffer;
        }

        @Override
        public void close() {
            if (OPEN.compareAndSet(this, 1, 0) && pool != null) {
                pool.giveBack(buffer);
            }
        }

        @Override
        public boolean isOpen() {
            return open == 1;
        }

        @Override
        public String toString() {
            return "IoBufferPool.Pooled{" + buffer + ", open=" + (open == 1) + "}";
        }
    }
}
