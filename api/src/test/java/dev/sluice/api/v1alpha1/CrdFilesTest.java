package dev.sluice.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs committed in {@code crds/} are exactly what the build generates from this module's classes. */
class CrdFilesTest {
    private static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8");
    private static final Path COMMITTED = Path.of("..", "crds");
    private static final String REFRESH = "crds/ is out of date with the classes in dev.sluice.api.v1alpha1; refresh it with:"
            + "  mvn -o -q process-classes -pl api && cp api/target/classes/META-INF/fabric8/*.yml crds/";

    @Test
    void committedCrdsAreTheGeneratedOnes() throws IOException {
        List<String> generated = yamlFiles(GENERATED);
        assertThat(generated).as("generated CRDs").contains("ratelimitpolicies.sluice.dev-v1.yml", "circuitbreakers.sluice.dev-v1.yml");
        assertThat(yamlFiles(COMMITTED)).as(REFRESH).containsExactlyInAnyOrderElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.readString(COMMITTED.resolve(name))).as(REFRESH + " (" + name + " differs)")
                    .isEqualTo(Files.readString(GENERATED.resolve(name)));
        }
    }

    private static List<String> yamlFiles(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".yml")).sorted().toList();
        }
    }
}
