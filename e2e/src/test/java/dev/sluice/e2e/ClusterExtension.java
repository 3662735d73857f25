package dev.sluice.e2e;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * One real cluster for the whole e2e suite ({@link TestCluster}): brought up for the first test class
 * that asks for it, and taken down when the suite ends. Test classes take a {@link TestCluster} as a
 * parameter (usually of a {@code @BeforeAll} method) and work in namespaces of their own.
 *
 * <p>When a test or a set-up method fails, the cluster's diagnostics are written under
 * {@code e2e/target/diagnostics/} and the failure carries a pointer to them with the latest events, so
 * that the build's output explains it.
 */
public final class ClusterExtension implements ParameterResolver, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.GLOBAL;
    private static final AtomicInteger FAILURES = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public TestCluster resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(STORE).getOrComputeIfAbsent(TestCluster.class, key -> TestCluster.start(), TestCluster.class);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(context, failure);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(context, failure);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(context, failure);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(context, failure);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(context, failure);
    }

    /** {@code failure}, with the cluster's diagnostics attached when a cluster runs. */
    private static Throwable explained(ExtensionContext context, Throwable failure) {
        TestCluster cluster = context.getRoot().getStore(STORE).get(TestCluster.class, TestCluster.class);
        if (cluster != null) {
            String name = context.getRequiredTestClass().getSimpleName() + context.getTestMethod().map(m -> "." + m.getName()).orElse("");
            try {
                String diagnostics = cluster.diagnose(String.format("%02d-%s", FAILURES.incrementAndGet(), name));
                System.out.println(name + " failed; " + diagnostics);
                failure.addSuppressed(new ClusterDiagnostics(diagnostics));
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        return failure;
    }

    /** The repository's root folder (set by surefire; the current folder's parent otherwise). */
    static Path repositoryRoot() {
        return Path.of(System.getProperty("sluice.root", "..")).toAbsolutePath().normalize();
    }

    /** Where a failure's diagnostics are, and the latest events; attached to the failure, so surefire prints it. */
    static final class ClusterDiagnostics extends Exception {
        ClusterDiagnostics(String message) {
            super(message, null, false, false);
        }
    }
}
