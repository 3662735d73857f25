package dev.sluice.benchmarks.live;

import dev.sluice.sidecar.watch.ApiServerTls;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * etcd and kube-apiserver as processes of their own (the binaries e2e/cluster/build.sh puts in
 * {@code ~/.kubeapitest/k8s/<version>-linux-amd64/}), with the flags a kubeadm control plane would have for what the
 * benchmark uses: client certificates, RBAC, ServiceAccount tokens from the TokenRequest API. Nothing else runs: no
 * controller manager, scheduler or kubelet, so the benchmark creates what they would (the ServiceAccount, pod statuses).
 */
final class ControlPlane implements AutoCloseable {
    static final String KUBERNETES_VERSION = "1.33.13";
    /** The issuer and audience of ServiceAccount tokens, as in a kubeadm cluster. */
    static final String TOKEN_ISSUER = "https://kubernetes.default.svc.cluster.local";

    private final Process etcd;
    private final Process apiServer;
    private final URI url;
    private final Path kubeconfig;
    private final Path directory;

    private ControlPlane(Process etcd, Process apiServer, URI url, Path kubeconfig, Path directory) {
        this.etcd = etcd;
        this.apiServer = apiServer;
        this.url = url;
        this.kubeconfig = kubeconfig;
        this.directory = directory;
    }

    static Path binaries() {
        String root = System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
        return Path.of(root, "k8s", KUBERNETES_VERSION + "-linux-amd64");
    }

    /** Starts both in {@code directory} (certificates, etcd's data, logs) and returns once the API server is ready. */
    static ControlPlane start(Path directory) throws IOException, InterruptedException {
        Path binaries = binaries();
        for (String name : List.of("etcd", "kube-apiserver")) {
            if (!Files.isExecutable(binaries.resolve(name))) {
                throw new IllegalStateException(binaries.resolve(name) + " is missing: run bash e2e/cluster/build.sh");
            }
        }
        Path pki = directory.resolve("pki");
        LocalPki.write(pki);
        int etcdClient = freePort();
        int etcdPeer = freePort();
        int securePort = freePort();
        Process etcd = new ProcessBuilder(binaries.resolve("etcd").toString(),
                "--data-dir", directory.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + etcdClient,
                "--advertise-client-urls", "http://127.0.0.1:" + etcdClient,
                "--listen-peer-urls", "http://127.0.0.1:" + etcdPeer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + etcdPeer,
                "--initial-cluster", "default=http://127.0.0.1:" + etcdPeer,
                "--unsafe-no-fsync")
                .redirectErrorStream(true).redirectOutput(directory.resolve("etcd.log").toFile()).start();
        List<String> flags = new ArrayList<>(List.of(binaries.resolve("kube-apiserver").toString(),
                "--etcd-servers", "http://127.0.0.1:" + etcdClient,
                "--bind-address", "127.0.0.1",
                "--secure-port", String.valueOf(securePort),
                "--cert-dir", directory.resolve("apiserver-certs").toString(),
                "--tls-cert-file", pki.resolve(LocalPki.SERVER_CERT).toString(),
                "--tls-private-key-file", pki.resolve(LocalPki.SERVER_KEY).toString(),
                "--client-ca-file", pki.resolve(LocalPki.CA).toString(),
                "--authorization-mode", "Node,RBAC",
                "--service-account-issuer", TOKEN_ISSUER,
                "--service-account-key-file", pki.resolve(LocalPki.SA_PUB).toString(),
                "--service-account-signing-key-file", pki.resolve(LocalPki.SA_KEY).toString(),
                "--service-cluster-ip-range", "10.96.0.0/16",
                // Its job is done by the benchmark: no controller manager creates the ServiceAccounts it would wait for.
                "--disable-admission-plugins", "ServiceAccount",
                "--allow-privileged=true"));
        Process apiServer = new ProcessBuilder(flags)
                .redirectErrorStream(true).redirectOutput(directory.resolve("kube-apiserver.log").toFile()).start();
        URI url = URI.create("https://127.0.0.1:" + securePort);
        Path kubeconfig = directory.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: benchmark
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: admin
                  user: {client-certificate: "%s", client-key: "%s"}
                contexts:
                - name: benchmark
                  context: {cluster: benchmark, user: admin, namespace: default}
                current-context: benchmark
                """.formatted(url, pki.resolve(LocalPki.CA), pki.resolve(LocalPki.ADMIN_CERT), pki.resolve(LocalPki.ADMIN_KEY)));
        ControlPlane plane = new ControlPlane(etcd, apiServer, url, kubeconfig, directory);
        try {
            plane.awaitReady(Duration.ofSeconds(60));
        } catch (IOException | InterruptedException | RuntimeException e) {
            plane.close();
            throw e;
        }
        return plane;
    }

    /** Polls {@code /readyz} (anonymous requests may read it) until it answers 200. */
    private void awaitReady(Duration limit) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustingCa()).build();
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!apiServer.isAlive() || !etcd.isAlive()) {
                throw new IllegalStateException((apiServer.isAlive() ? "etcd" : "kube-apiserver") + " stopped at start; see its log in " + directory);
            }
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(url.resolve("/readyz")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("kube-apiserver not ready within " + limit + " (" + last + "); see " + directory.resolve("kube-apiserver.log"));
    }

    URI url() {
        return url;
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    Path caFile() {
        return directory.resolve("pki").resolve(LocalPki.CA);
    }

    long apiServerPid() {
        return apiServer.pid();
    }

    long etcdPid() {
        return etcd.pid();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        Processes.stop(apiServer, Duration.ofSeconds(10));
        Processes.stop(etcd, Duration.ofSeconds(10));
    }

    /** An SSLContext trusting only this control plane's CA, as the sidecars' watches do ({@link ApiServerTls}). */
    private SSLContext trustingCa() throws IOException {
        try {
            return ApiServerTls.trusting(caFile());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + caFile() + ": " + e, e);
        }
    }
}
