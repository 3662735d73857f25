package dev.sluice.operator.monitoring;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Debian's {@code promtool} and {@code prometheus} (package {@code prometheus}, which .ci/run installs), found on the PATH. */
final class Promtool {
    private Promtool() {
    }

    /** What one run printed (stdout and stderr together) and its exit code. */
    record Result(List<String> command, int exitCode, String output) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n" + output;
        }
    }

    static Result run(String... args) {
        List<String> command = new ArrayList<>(List.of(binary("promtool").toString()));
        command.addAll(Arrays.asList(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return fail(String.join(" ", command) + " did not exit within 2 minutes");
            }
            return new Result(command, process.exitValue(), output.join());
        } catch (IOException e) {
            return fail("cannot run " + command + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** {@code name} on the PATH; a missing one fails the test with what to install. */
    static Path binary(String name) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(directory, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail(name + " is not on the PATH: install Debian's package with 'apt-get install -y --no-install-recommends prometheus'"
                + " (.ci/run does)");
    }

    private static String readAll(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
