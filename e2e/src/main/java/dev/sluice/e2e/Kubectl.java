package dev.sluice.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code kubectl} (1.33, from the Kubernetes binaries folder) against one kubeconfig; also
 * {@code helm}, which {@code e2e/cluster/build.sh} builds into the same folder and which takes the same
 * {@code --kubeconfig} flag ({@link #helm}).
 */
public final class Kubectl {
    /** The version {@code e2e/cluster/build.sh} builds; kube-api-test and {@code e2e/cluster/node.sh} use exactly this folder. */
    public static final String KUBERNETES_VERSION = "1.33.13";
    private static final long TIMEOUT_SECONDS = 120;
    /** {@code helm install --wait} and {@code helm uninstall} (its pre-delete hook) wait for pods: longer than any kubectl call. */
    private static final long HELM_TIMEOUT_SECONDS = 600;

    private final Path binary;
    private final Path kubeconfig;
    private final long timeoutSeconds;

    public Kubectl(Path binary, Path kubeconfig) {
        this(binary, kubeconfig, TIMEOUT_SECONDS);
    }

    private Kubectl(Path binary, Path kubeconfig, long timeoutSeconds) {
        this.binary = binary;
        this.kubeconfig = kubeconfig;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** What one kubectl run printed, and its exit code. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }

        /** This result, or an exception carrying the command and everything kubectl printed. */
        public Result orThrow() {
            if (!succeeded()) {
                throw new IllegalStateException(this.toString());
            }
            return this;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** kubectl from {@link #binariesFolder()} against {@code kubeconfig}. */
    public static Kubectl of(Path kubeconfig) {
        return new Kubectl(binariesFolder().resolve("kubectl"), kubeconfig);
    }

    /** {@code helm} from {@link #binariesFolder()} against {@code kubeconfig}, given up to 10 minutes a run (pass helm its own {@code --timeout}). */
    public static Kubectl helm(Path kubeconfig) {
        return new Kubectl(binariesFolder().resolve("helm"), kubeconfig, HELM_TIMEOUT_SECONDS);
    }

    /** {@code <KUBE_API_TEST_DIR or ~/.kubeapitest>/k8s/<version>-linux-amd64}, where {@code e2e/cluster/build.sh} puts the binaries. */
    public static Path binariesFolder() {
        String root = Optional.ofNullable(System.getenv("KUBE_API_TEST_DIR"))
                .orElse(Path.of(System.getProperty("user.home"), ".kubeapitest").toString());
        return Path.of(root, "k8s", KUBERNETES_VERSION + "-linux-amd64");
    }

    public Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs kubectl with {@code stdin} (e.g. for {@code apply -f -}), waiting for it to exit. */
    public Result runWithInput(String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).start();
            CompletableFuture<String> stdout = readAsync(process.getInputStream());
            CompletableFuture<String> stderr = readAsync(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(binary.getFileName() + " did not exit within " + timeoutSeconds + "s: " + command);
            }
            return new Result(List.copyOf(command.subList(3, command.size())), process.exitValue(), stdout.join(), stderr.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    /**
     * Starts a kubectl that runs until it ends by itself or is destroyed (e.g. {@code logs -f}), what it
     * prints on stdout and stderr written to {@code output}.
     */
    public Process start(Path output, String... args) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    private static CompletableFuture<String> readAsync(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
