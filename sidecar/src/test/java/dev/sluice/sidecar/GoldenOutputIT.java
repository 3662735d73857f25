package dev.sluice.sidecar;

import dev.sluice.api.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What users read of the sidecar, byte for byte: {@code --check} on a set of bad documents (every
 * message and its field path, the exit code) and {@code /config} of a sidecar on
 * {@code examples/sidecar.yaml}. Changing either is changing behaviour: see {@link Golden}.
 */
class GoldenOutputIT {
    private static final Path CHECK = Golden.ROOT.resolve("check");

    @TempDir
    Path directory;

    @Test
    void checkOutputOnBadDocuments() throws IOException {
        for (Path document : documents()) {
            Path copy = directory.resolve(document.getFileName());
            Files.copy(document, copy);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Main.run(new String[] {"--check", "--config", copy.toString()}, Map.of(), print(out), print(err));
            String transcript = "exit " + exit + "\n--- stdout\n" + text(out) + "--- stderr\n" + text(err);
            String name = document.getFileName().toString();
            Golden.assertMatches(CHECK.resolve(name.substring(0, name.length() - ".yaml".length()) + ".out"), transcript);
        }
    }

    @Test
    void configViewOfTheExampleSidecar() throws Exception {
        String example = Files.readString(Path.of("..", "examples", "sidecar.yaml"), StandardCharsets.UTF_8);
        try (SidecarFixture fixture = SidecarFixture.withSystemClock(directory, example)) {
            // loadedAt is the wall clock at start-up; everything else is a function of the document.
            String view = fixture.admin("/config").body().replaceFirst("\"loadedAt\" : \"[^\"]+\"", "\"loadedAt\" : \"<time>\"");
            Golden.assertMatches(Golden.ROOT.resolve("config-examples-sidecar.json"), view);
        }
    }

    private static List<Path> documents() throws IOException {
        try (Stream<Path> files = Files.list(CHECK)) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** The output with the temporary directory's path replaced, so that it is the same on every run. */
    private String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8).replace(directory.toString(), "<dir>");
    }

    private static PrintStream print(ByteArrayOutputStream stream) {
        return new PrintStream(stream, true, StandardCharsets.UTF_8);
    }
}
