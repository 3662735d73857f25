package dev.sluice.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The suite's {@link LocalCluster}, a client for it, and the result of the first {@code kubectl apply -f crds/}. */
public final class TestCluster implements AutoCloseable {
    static final String[] CRDS = {"ratelimitpolicies.sluice.dev", "circuitbreakers.sluice.dev"};

    private final LocalCluster cluster;
    private final KubernetesClient client;
    private final Kubectl.Result crdApply;

    private TestCluster(LocalCluster cluster, KubernetesClient client, Kubectl.Result crdApply) {
        this.cluster = cluster;
        this.client = client;
        this.crdApply = crdApply;
    }

    static TestCluster start() {
        Path work;
        try {
            work = Files.createDirectories(ClusterExtension.repositoryRoot().resolve("e2e/target/cluster"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LocalCluster cluster = LocalCluster.start(work.resolve("kubeconfig-" + ProcessHandle.current().pid()));
        try {
            Kubectl.Result apply = cluster.kubectl().run("apply", "-f", path("crds").toString());
            if (apply.succeeded()) {
                cluster.kubectl().run("wait", "--for=condition=Established", "--timeout=60s",
                        "crd/" + CRDS[0], "crd/" + CRDS[1]).orThrow();
            }
            return new TestCluster(cluster, cluster.newClient(), apply);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** A file or folder of the repository, e.g. {@code path("examples/ratelimitpolicy.yaml")}. */
    static Path path(String relative) {
        return ClusterExtension.repositoryRoot().resolve(relative);
    }

    Kubectl kubectl() {
        return cluster.kubectl();
    }

    KubernetesClient client() {
        return client;
    }

    /** What the suite's first {@code kubectl apply -f crds/} printed: every other test relies on it. */
    Kubectl.Result crdApply() {
        return crdApply;
    }

    /** Creates a namespace for one test class. */
    String createNamespace(String name) {
        kubectl().run("create", "namespace", name).orThrow();
        return name;
    }

    @Override
    public void close() {
        client.close();
        cluster.close();
    }
}
