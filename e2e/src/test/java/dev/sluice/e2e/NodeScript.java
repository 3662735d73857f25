package dev.sluice.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code e2e/cluster/node.sh}, the real single-node cluster on this machine, run from the test JVM.
 * What each command prints goes to a log file of the suite ({@code e2e/target/cluster/node.log}).
 */
final class NodeScript {
    private final Path script;
    private final Path log;

    NodeScript(Path script, Path log) {
        this.script = script;
        this.log = log;
    }

    /** What one command printed, and its exit code. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        boolean succeeded() {
            return exitCode == 0;
        }

        Result orThrow() {
            if (!succeeded()) {
                throw new IllegalStateException(String.join(" ", command) + " -> exit " + exitCode + "\n" + stdout + stderr);
            }
            return this;
        }
    }

    /**
     * Starts the cluster for {@code owner}: once that process is gone, the next {@code up} cleans up after
     * it. Waits up to {@code wait} for a cluster another live process holds. Returns {@link #snapshot} of
     * the machine without a cluster, which {@code up} takes under the node's lock just before starting,
     * once whatever an earlier run left is cleaned: no other run can be half up in it.
     */
    String up(long owner, Duration wait, Path snapshotFile) {
        run(wait.plusMinutes(10), "up", "--owner", String.valueOf(owner), "--wait", String.valueOf(wait.toSeconds()),
                "--snapshot", snapshotFile.toString()).orThrow();
        try {
            return Files.readString(snapshotFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Takes down the cluster {@code owner} holds (or one whose owner is gone); refused for another live owner's. */
    void down(long owner) {
        run(Duration.ofMinutes(5), "down", "--owner", String.valueOf(owner)).orThrow();
    }

    /** What the cluster changes on the machine (processes, mounts, network, iptables, sysctls, cgroups, paths). */
    String snapshot() {
        return run(Duration.ofMinutes(5), "snapshot").orThrow().stdout();
    }

    void importImages(List<Path> tars) {
        List<String> args = new ArrayList<>(List.of("import"));
        tars.forEach(tar -> args.add(tar.toString()));
        run(Duration.ofMinutes(10), args.toArray(String[]::new)).orThrow();
    }

    /** Gives the imported image {@code source} a second name, {@code target} (a new tag, for a rollout with no build). */
    void tagImage(String source, String target) {
        run(Duration.ofMinutes(1), "tag", source, target).orThrow();
    }

    /** Component and container logs, events, and descriptions of the node, pods and Jobs, into {@code directory}. */
    Result diagnose(Path directory) {
        return run(Duration.ofMinutes(5), "diagnose", directory.toString());
    }

    Path kubeconfig() {
        return Path.of(run(Duration.ofMinutes(1), "kubeconfig").orThrow().stdout().strip());
    }

    private Result run(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        try {
            Path stdout = Files.createTempFile(log.getParent(), "node-", ".out");
            Path stderr = Files.createTempFile(log.getParent(), "node-", ".err");
            try {
                Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
                process.getOutputStream().close();
                boolean finished = process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
                if (!finished) {
                    process.destroy();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
                Result result = new Result(command, finished ? process.exitValue() : -1, Files.readString(stdout), Files.readString(stderr));
                Files.writeString(log, "$ node.sh " + String.join(" ", args) + " -> exit " + result.exitCode() + "\n" + result.stderr()
                        + (args[0].equals("snapshot") ? "" : result.stdout()), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                if (!finished) {
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout + ":\n" + result.stderr());
                }
                return result;
            } finally {
                Files.deleteIfExists(stdout);
                Files.deleteIfExists(stderr);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }
}
