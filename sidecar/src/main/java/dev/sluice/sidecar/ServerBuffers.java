package dev.sluice.sidecar;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * The size of the I/O buffers of the sidecar's two servers (and of its connections to the app, which
 * borrow the traffic port's), chosen from the direct memory the JVM may use rather than from its heap.
 *
 * <p>Undertow's own choice reads the heap's maximum: under 64 MiB it takes 512-byte heap buffers, which
 * the JDK copies into a temporary direct buffer at every read and write (and keeps one per thread, as
 * large as the largest write), and under 128 MiB 1 KiB ones, so a sidecar sized for a 128 MiB pod would
 * read a request's headers in several system calls. The buffers here are always direct: 16 KiB (less the
 * 20 bytes Undertow leaves for protocol headers, UNDERTOW-1209, about the most one {@code write()} takes)
 * when the direct memory holds {@value #BUFFERS} of them, else the largest power of two for which it
 * does, and never under {@value #MIN_SIZE} bytes.
 *
 * <p>Undertow's pool keeps four buffers per thread and frees the rest when they come back, so the direct
 * memory in use follows the exchanges in flight (two or three buffers each while it is read and
 * forwarded), and {@code -XX:MaxDirectMemorySize} bounds it.
 */
record ServerBuffers(int size) {
    /** 16 KiB less Undertow's 20 bytes: its own default with 128 MiB of heap or more. */
    static final int FULL_SIZE = 16 * 1024 - 20;
    static final int MIN_SIZE = 1024;
    /** How many buffers the direct memory must hold: several hundred exchanges in flight at once. */
    static final int BUFFERS = 1024;

    /** Sized for {@link #maxDirectMemory()}. */
    static ServerBuffers forThisJvm() {
        return forDirectMemory(maxDirectMemory());
    }

    static ServerBuffers forDirectMemory(long maxDirectMemory) {
        if (maxDirectMemory <= 0) {
            throw new IllegalArgumentException("maxDirectMemory must be positive, got " + maxDirectMemory);
        }
        long perBuffer = maxDirectMemory / BUFFERS;
        if (perBuffer >= 16 * 1024) {
            return new ServerBuffers(FULL_SIZE);
        }
        return new ServerBuffers((int) Math.max(MIN_SIZE, Long.highestOneBit(perBuffer)));
    }

    /**
     * What {@code -XX:MaxDirectMemorySize} allows, or when it is not set (0) the heap's maximum, which is
     * what the JDK then allows.
     */
    static long maxDirectMemory() {
        long option = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue());
        return option > 0 ? option : Runtime.getRuntime().maxMemory();
    }
}
