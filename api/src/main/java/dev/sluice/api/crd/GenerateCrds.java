package dev.sluice.api.crd;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the CRDs of the sluice.dev kinds with fabric8's crd-generator (its API, as its Maven plugin
 * does), with one difference: the schema is read through a plain {@link ObjectMapper}. The plugin reads
 * it through the Kubernetes client's serialization, whose {@code UnmatchedFieldTypeModule} wraps every
 * property writer and so loses {@code @JsonUnwrapped}: a CircuitBreaker's breaker settings would appear
 * under {@code spec.breaker} instead of directly under {@code spec}. Run by the build
 * ({@code api/pom.xml}, phase process-classes, before {@link PrinterColumnOrder}); {@code CrdFilesTest}
 * compares the result with {@code crds/}.
 */
public final class GenerateCrds {
    /** Every kind of the API group; a new kind gets its CRD once it is listed here. */
    static final List<Class<? extends HasMetadata>> KINDS = List.of(RateLimitPolicy.class, CircuitBreaker.class, JobQuota.class);

    private GenerateCrds() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GenerateCrds DIRECTORY (where the CRDs are written)");
        }
        Path directory = Files.createDirectories(Path.of(args[0]));
        new CRDGenerator()
                .withObjectMapper(new ObjectMapper(), new KubernetesSerialization())
                .customResourceClasses(KINDS)
                .inOutputDir(directory.toFile())
                .generate();
    }
}
