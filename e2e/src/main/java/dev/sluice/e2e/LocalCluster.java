package dev.sluice.e2e;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real kube-apiserver and etcd running as local processes (Fabric8 kube-api-test), with the binaries
 * that {@code e2e/cluster/build.sh} puts in {@code ~/.kubeapitest/k8s/<version>-linux-amd64/}.
 * Nothing is downloaded. Its kubeconfig is written to a file of its own; {@code ~/.kube/config} is left alone.
 */
public final class LocalCluster implements AutoCloseable {
    private static final String INSTALL_HINT = "run: bash e2e/cluster/build.sh --api-server-only";

    private final KubeAPIServer server;
    private final Path kubeconfig;
    private final Kubectl kubectl;
    private final AtomicBoolean stopped = new AtomicBoolean();
    // kube-api-test leaves etcd and kube-apiserver running if the JVM exits without stop()
    private final Thread stopOnExit = new Thread(this::stop, "stop-local-cluster");

    private LocalCluster(KubeAPIServer server, Path kubeconfig, Kubectl kubectl) {
        this.server = server;
        this.kubeconfig = kubeconfig;
        this.kubectl = kubectl;
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /** Starts etcd and kube-apiserver (about 3 s) and writes the kubeconfig to {@code kubeconfig}. */
    public static LocalCluster start(Path kubeconfig) {
        Path binaries = Kubectl.binariesFolder();
        Path kubectlBinary = binaries.resolve("kubectl");
        for (String name : new String[] {"kube-apiserver", "etcd", "kubectl"}) {
            if (!Files.isExecutable(binaries.resolve(name))) {
                throw new IllegalStateException(binaries.resolve(name) + " is missing; " + INSTALL_HINT);
            }
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(Kubectl.KUBERNETES_VERSION)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .withApiServerFlag("--bind-address", "127.0.0.1")
                .build());
        server.start();
        try {
            Files.createDirectories(kubeconfig.toAbsolutePath().getParent());
            Files.writeString(kubeconfig, server.getKubeConfigYaml());
            Files.setPosixFilePermissions(kubeconfig, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.stop();
            throw new UncheckedIOException("cannot write " + kubeconfig, e);
        }
        return new LocalCluster(server, kubeconfig, new Kubectl(kubectlBinary, kubeconfig));
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    public Kubectl kubectl() {
        return kubectl;
    }

    /** A new client for this cluster; the caller closes it. */
    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
    }

    /** Stops kube-apiserver and etcd and deletes etcd's data; safe to call more than once. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException exiting) {
            // the JVM is exiting: the hook runs stop()
        }
        stop();
    }

    private void stop() {
        if (stopped.compareAndSet(false, true)) {
            server.stop();
        }
    }
}
