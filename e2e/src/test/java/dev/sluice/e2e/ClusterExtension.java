package dev.sluice.e2e;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real API server for the whole e2e suite: started for the first test class that asks for it,
 * with {@code crds/} applied, and stopped when the suite ends. Test classes take a {@link TestCluster}
 * as a parameter (usually of a {@code @BeforeAll} method) and work in namespaces of their own.
 */
public final class ClusterExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public TestCluster resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(TestCluster.class, key -> TestCluster.start(), TestCluster.class);
    }

    /** The repository's root folder (set by surefire; the current folder's parent otherwise). */
    static Path repositoryRoot() {
        return Path.of(System.getProperty("sluice.root", "..")).toAbsolutePath().normalize();
    }
}
