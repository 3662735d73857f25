package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A memory cgroup holding the sidecar, as a pod's memory limit would: the JVM reads the limit at start (its heap
 * follows {@code -XX:MaxRAMPercentage}), and the kernel kills the process past it. cgroup v2 where the memory
 * controller is there ({@code memory.max} under {@code /sys/fs/cgroup}), else cgroup v1 ({@code memory.limit_in_bytes}
 * under {@code /sys/fs/cgroup/memory}, inside this program's own memory cgroup, so that whatever limits this program
 * also limits the sidecar). Removed by {@link #close}, which the program also runs on failure.
 */
final class MemoryCgroup implements AutoCloseable {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Path directory;
    private final boolean v2;

    private MemoryCgroup(Path directory, boolean v2) {
        this.directory = directory;
        this.v2 = v2;
    }

    /** Creates the cgroup {@code name} limited to {@code bytes}; an {@link IllegalStateException} says why it cannot. */
    static MemoryCgroup create(String name, long bytes) {
        Path controllers = ROOT.resolve("cgroup.controllers");
        boolean v2 = Files.exists(controllers) && read(controllers).contains("memory");
        Path parent = v2 ? ROOT : ROOT.resolve("memory").resolve(ownV1MemoryCgroup());
        if (!v2 && !Files.isDirectory(ROOT.resolve("memory"))) {
            throw new IllegalStateException("no memory cgroup controller under " + ROOT + " (neither cgroup v2 with memory nor v1's "
                    + ROOT.resolve("memory") + "); run with --memory-limit none");
        }
        Path directory = parent.resolve(name);
        try {
            Files.createDirectories(directory);
            MemoryCgroup cgroup = new MemoryCgroup(directory, v2);
            Files.writeString(directory.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), String.valueOf(bytes));
            if (!v2) {
                // v1 counts swap apart; without this the process would swap rather than meet the limit, unlike a pod.
                Path swap = directory.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(swap)) {
                    Files.writeString(swap, String.valueOf(bytes));
                }
            } else if (Files.exists(directory.resolve("memory.swap.max"))) {
                Files.writeString(directory.resolve("memory.swap.max"), "0");
            }
            return cgroup;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the memory cgroup " + directory + " (" + e + "); run as root, or with --memory-limit none", e);
        }
    }

    /** The file a process writes its pid to, to join: the sidecar's shell does so before it execs the JVM. */
    Path procsFile() {
        return directory.resolve("cgroup.procs");
    }

    /** The most memory the cgroup has used (v2 {@code memory.peak}, v1 {@code memory.max_usage_in_bytes}); -1 if the kernel has no such file. */
    long peakBytes() {
        Path peak = directory.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes");
        return Files.exists(peak) ? Long.parseLong(read(peak).strip()) : -1;
    }

    /** How many processes the kernel killed for the limit ({@code oom_kill} of memory.events or memory.oom_control). */
    long oomKills() {
        Path events = directory.resolve(v2 ? "memory.events" : "memory.oom_control");
        for (String line : read(events).split("\n")) {
            if (line.startsWith("oom_kill ")) {
                return Long.parseLong(line.substring("oom_kill ".length()).strip());
            }
        }
        return 0;
    }

    String describe() {
        return (v2 ? "cgroup v2 " : "cgroup v1 ") + directory;
    }

    /** Removes the cgroup once its processes have gone (they leave it as they end; the kernel needs a moment). */
    @Override
    public void close() {
        for (int attempt = 0; attempt < 50 && Files.exists(directory); attempt++) {
            try {
                Files.delete(directory);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (Files.exists(directory)) {
            System.err.println("could not remove the memory cgroup " + directory + ": processes left in it: " + read(procsFile()).strip());
        }
    }

    /** This process's v1 memory cgroup, from the {@code N:memory:/path} line of /proc/self/cgroup. */
    private static String ownV1MemoryCgroup() {
        for (String line : read(Path.of("/proc/self/cgroup")).split("\n")) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && List.of(parts[1].split(",")).contains("memory")) {
                return parts[2].startsWith("/") ? parts[2].substring(1) : parts[2];
            }
        }
        return "";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }
}
