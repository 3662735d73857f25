package dev.sluice.sidecar;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * What the traffic port holds at most under overload, so that it refuses early instead of running out of
 * file descriptors or memory.
 *
 * @param maxConnections client connections open on the traffic port at once; past it, new connections wait in
 *     the kernel's accept backlog (they are not accepted) until one closes
 * @param maxParked requests parked at the concurrency gates at once, over every policy; past it, a request that
 *     would wait is refused at once with 503 and {@code Retry-After}
 */
public record OverloadCaps(int maxConnections, int maxParked) {
    /**
     * The most connections by default. Past a few thousand connections to one pod's app, more connections are
     * not more work done but more waiting (the app's own concurrency is far lower), and each open connection
     * costs the sidecar a descriptor and its buffers while a request is read or written (16 KiB each), which a
     * 128 MiB sidecar cannot give to tens of thousands.
     */
    public static final int MAX_CONNECTIONS_CEILING = 4096;
    /** The descriptors the default keeps for everything else: the app's pool, outbound routes, Redis, files, the admin port. */
    static final int RESERVED_DESCRIPTORS = 256;

    public OverloadCaps {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections must be at least 1, got " + maxConnections);
        }
        if (maxParked < 0) {
            throw new IllegalArgumentException("--max-parked must be 0 or more, got " + maxParked);
        }
    }

    /** The defaults for this process's limit on open files; see {@link #forDescriptorLimit}. */
    public static OverloadCaps defaults() {
        return forDescriptorLimit(descriptorLimit());
    }

    /**
     * The defaults under a limit of {@code descriptors} open files: a quarter of them (at least
     * {@link #RESERVED_DESCRIPTORS}) is kept for what is neither a client connection nor its request's connection to
     * the app, and half the rest may be client connections, up to {@link #MAX_CONNECTIONS_CEILING}: a request in
     * flight holds two descriptors, since the pool to the app keeps idle connections but opens one per busy request.
     * Half the connections may be parked requests: a parked request holds its connection while it waits, and the other
     * half stays free for requests that are admitted or refused at once.
     */
    public static OverloadCaps forDescriptorLimit(long descriptors) {
        long reserved = Math.max(RESERVED_DESCRIPTORS, descriptors / 4);
        int connections = (int) Math.max(1, Math.min(MAX_CONNECTIONS_CEILING, (descriptors - reserved) / 2));
        return new OverloadCaps(connections, Math.max(1, connections / 2));
    }

    /**
     * This process's limit on open files (the JVM raises its soft limit to the hard one at start); the ceiling's
     * worth of descriptors and the reserve when the platform does not say.
     */
    static long descriptorLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix && unix.getMaxFileDescriptorCount() > 0) {
            return unix.getMaxFileDescriptorCount();
        }
        return MAX_CONNECTIONS_CEILING + RESERVED_DESCRIPTORS;
    }

    public OverloadCaps withMaxConnections(int connections) {
        return new OverloadCaps(connections, maxParked);
    }

    public OverloadCaps withMaxParked(int parked) {
        return new OverloadCaps(maxConnections, parked);
    }
}
