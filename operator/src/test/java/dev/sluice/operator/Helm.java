package dev.sluice.operator;

import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The real helm CLI, for the chart's tests: on the PATH, else the one {@code e2e/cluster/build.sh} builds. */
final class Helm {
    static final Path CHART = Path.of("..", "charts", "sluice");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Helm() {
    }

    /** What one helm run printed, and its exit code. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /**
     * The objects {@code helm template sluice charts/sluice -n NAMESPACE --show-only TEMPLATE [ARGS]} renders;
     * a null template: the whole chart's.
     */
    static List<HasMetadata> render(String namespace, String template, String... args) {
        List<String> command = new ArrayList<>(List.of("template", "sluice", CHART.toString(), "--namespace", namespace));
        if (template != null) {
            command.addAll(List.of("--show-only", template));
        }
        command.addAll(Arrays.asList(args));
        Result result = run(command.toArray(String[]::new));
        if (result.exitCode() != 0) {
            fail(result.toString());
        }
        return Stream.of(result.stdout().split("(?m)^---\\s*$")).filter(document -> document.contains("kind:"))
                .map(document -> (HasMetadata) SERIALIZATION.unmarshal(document)).toList();
    }

    static Result run(String... args) {
        List<String> command = new ArrayList<>(List.of(binary().toString()));
        command.addAll(Arrays.asList(args));
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return fail(String.join(" ", command) + " did not exit within 2 minutes");
            }
            return new Result(command, process.exitValue(), stdout, new String(stderr.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return fail("cannot run " + command + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private static byte[] readAll(java.io.InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** helm on the PATH, else the one e2e/cluster/build.sh builds; the test fails, saying how to get it, when there is none. */
    static Path binary() {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(directory, "helm");
            if (!directory.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String binaries = System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
        try (Stream<Path> versions = Files.list(Path.of(binaries, "k8s"))) {
            return versions.map(version -> version.resolve("helm")).filter(Files::isExecutable).sorted().reduce((first, last) -> last)
                    .orElseThrow(IOException::new);
        } catch (IOException e) {
            return fail("helm is needed to render charts/sluice and was found neither on the PATH nor in " + binaries
                    + "/k8s/<version>-linux-<arch>/: run e2e/cluster/build.sh, which builds it from its Go module");
        }
    }
}
