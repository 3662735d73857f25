package dev.sluice.api.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Outputs a user sees, kept byte for byte under {@code src/test/resources/golden/} of the module whose
 * tests compare them, so that a refactor is shown not to change behaviour. {@code -Dsluice.golden.update=true}
 * rewrites them (review the diff: a changed golden file is a changed behaviour). The one helper for the
 * operator's and the sidecar's golden tests: it reaches them in the api module's test jar.
 */
public final class Golden {
    public static final Path ROOT = Path.of("src", "test", "resources", "golden");
    private static final boolean UPDATE = Boolean.getBoolean("sluice.golden.update");

    private Golden() {
    }

    public static void assertMatches(Path golden, String actual) {
        try {
            if (UPDATE) {
                Files.createDirectories(golden.getParent());
                Files.writeString(golden, actual, StandardCharsets.UTF_8);
                return;
            }
            assertThat(golden).as("golden file %s is missing: run the test with -Dsluice.golden.update=true to write it", golden).exists();
            assertThat(actual).as("output differs from golden file %s", golden).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
