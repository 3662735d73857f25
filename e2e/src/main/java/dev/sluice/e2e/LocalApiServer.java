package dev.sluice.e2e;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java dev.sluice.e2e.LocalApiServer KUBECONFIG}: starts a local kube-apiserver + etcd, writes
 * their kubeconfig to the given file, prints {@code ready}, and runs until stopped (SIGINT/SIGTERM),
 * stopping both processes on the way out. The demo ({@code ./demo.sh}) runs it.
 */
public final class LocalApiServer {
    private LocalApiServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            System.err.println("Usage: java dev.sluice.e2e.LocalApiServer KUBECONFIG_FILE");
            System.exit(64);
        }
        LocalCluster cluster;
        try {
            cluster = LocalCluster.start(Path.of(args[0]));
        } catch (RuntimeException e) {
            System.err.println("cannot start the local API server: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("ready " + cluster.kubeconfig());
        // runs until the JVM is told to exit; LocalCluster's shutdown hook then stops both processes
        new CountDownLatch(1).await();
    }
}
