package dev.sluice.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs committed in {@code crds/}, and their copy in the chart ({@code charts/sluice/files/crds/},
 * which {@code crds.install=true} installs: a chart cannot read files outside its folder, and Helm
 * warns on every command about a symbolic link), are exactly what the build generates from this
 * module's classes.
 */
class CrdFilesTest {
    private static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8");
    private static final Path COMMITTED = Path.of("..", "crds");
    private static final Path CHART = Path.of("..", "charts", "sluice", "files", "crds");
    private static final String REFRESH = "crds/ or charts/sluice/files/crds/ is out of date with the classes in dev.sluice.api.v1alpha1; refresh them with:"
            + "  mvn -o -q process-classes -pl api && cp api/target/classes/META-INF/fabric8/*.yml crds/ && cp crds/*.yml charts/sluice/files/crds/";

    @Test
    void committedCrdsAreTheGeneratedOnes() throws IOException {
        List<String> generated = yamlFiles(GENERATED);
        assertThat(generated).as("generated CRDs").contains("ratelimitpolicies.sluice.dev-v1.yml", "circuitbreakers.sluice.dev-v1.yml");
        for (Path committed : List.of(COMMITTED, CHART)) {
            assertThat(yamlFiles(committed)).as(REFRESH).containsExactlyInAnyOrderElementsOf(generated);
            for (String name : generated) {
                assertThat(Files.readString(committed.resolve(name))).as(REFRESH + " (" + committed.resolve(name) + " differs)")
                        .isEqualTo(Files.readString(GENERATED.resolve(name)));
            }
        }
    }

    /**
     * {@code kubectl get} shows the columns in the CRD's order, which must be the order the classes
     * declare them in (AGE last), not the generator's (it sorts them by JSONPath, so AGE came second).
     */
    @Test
    void printerColumnsAreInTheOrderTheClassesDeclare() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (Class<?> kind : List.of(RateLimitPolicy.class, CircuitBreaker.class, JobQuota.class)) {
            List<String> declared = Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
                    .map(AdditionalPrinterColumn::name).toList();
            for (Path directory : List.of(COMMITTED, GENERATED)) {
                JsonNode crd = yaml.readTree(directory.resolve(crdFile(yaml, directory, kind.getSimpleName())).toFile());
                List<String> columns = new ArrayList<>();
                crd.path("spec").path("versions").get(0).path("additionalPrinterColumns").forEach(column -> columns.add(column.path("name").asText()));
                assertThat(columns).as(kind.getSimpleName() + " in " + directory).containsExactlyElementsOf(declared).endsWith("Age");
            }
        }
    }

    private static String crdFile(ObjectMapper yaml, Path directory, String kind) throws IOException {
        for (String name : yamlFiles(directory)) {
            if (yaml.readTree(directory.resolve(name).toFile()).path("spec").path("names").path("kind").asText().equals(kind)) {
                return name;
            }
        }
        throw new AssertionError("no CRD of kind " + kind + " in " + directory);
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
