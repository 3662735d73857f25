package dev.sluice.benchmarks.proxy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The programs the comparison runs, found on PATH (vegeta and sluice-grpc-bench first in tools.sh's cache directory);
 * benchmarks/tools.sh installs them.
 */
enum Tools {
    NGINX("nginx"),
    WRK("wrk"),
    VEGETA("vegeta"),
    REDIS("redis-server"),
    TASKSET("taskset"),
    /** benchmarks/grpc: grpc-go's benchmark server and a gRPC load client, for the grpc-* modes. */
    GRPC_BENCH("sluice-grpc-bench");

    private final String command;

    Tools(String command) {
        this.command = command;
    }

    /** The program's absolute path; an {@link IllegalStateException} naming tools.sh when it is nowhere. */
    String path() {
        for (Path candidate : candidates()) {
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(command + " not found on PATH" + (built() ? " nor in " + cache() : "")
                + ": run benchmarks/tools.sh (it installs nginx, wrk, redis-server and builds vegeta and sluice-grpc-bench)");
    }

    private List<Path> candidates() {
        List<Path> candidates = new ArrayList<>();
        if (built()) {
            String explicit = System.getenv(this == VEGETA ? "SLUICE_VEGETA" : "SLUICE_GRPC_BENCH");
            if (explicit != null && !explicit.isBlank()) {
                candidates.add(Path.of(explicit));
            }
            candidates.add(cache().resolve(command));
        }
        for (String directory : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
            candidates.add(Path.of(directory, command));
        }
        // Debian puts nginx in /usr/sbin, which a non-root PATH often lacks.
        candidates.add(Path.of("/usr/sbin", command));
        return candidates;
    }

    /** The tools that tools.sh builds from Go rather than installs from Debian. */
    private boolean built() {
        return this == VEGETA || this == GRPC_BENCH;
    }

    /** Where tools.sh builds them: {@code $SLUICE_TOOLS_CACHE/bin}, default {@code ~/.cache/sluice-bench/bin}. */
    private static Path cache() {
        String cache = System.getenv("SLUICE_TOOLS_CACHE");
        if (cache == null || cache.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            cache = (xdg == null || xdg.isBlank() ? System.getProperty("user.home") + "/.cache" : xdg) + "/sluice-bench";
        }
        return Path.of(cache, "bin");
    }
}
