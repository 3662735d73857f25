package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster the suite runs on is a real one: a pod runs and passes its readiness probe, is reached
 * from this machine at its address and through a ClusterIP Service, and a Job's container, as non-root
 * on a read-only root filesystem, resolves that Service's name through the cluster DNS (CoreDNS) and
 * gets the pod's page through it.
 */
@ExtendWith(ClusterExtension.class)
class NodeE2E {
    private static final String NAMESPACE = "node";
    private static final String PAGE = "hello from a pod";
    /** Below kubectl's own time limit ({@link Kubectl}), as {@code kubectl wait --timeout}. */
    private static final Duration READY = Duration.ofSeconds(100);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static TestCluster cluster;
    static String serviceAddress;

    @BeforeAll
    static void startWebPod(TestCluster testCluster) {
        cluster = testCluster;
        cluster.createNamespace(NAMESPACE);
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web, labels: {app: web}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: httpd
                    image: %s
                    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                    ports: [{containerPort: 8080}]
                    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
                """.formatted(TestCluster.BUSYBOX), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Ready", "--timeout=" + READY.toSeconds() + "s", "pod/web").orThrow();
        serviceAddress = cluster.client().services().inNamespace(NAMESPACE).withName("web").get().getSpec().getClusterIP();
    }

    @Test
    void aPodIsReachedAtItsAddressAndThroughItsService() throws Exception {
        String podAddress = cluster.client().pods().inNamespace(NAMESPACE).withName("web").get().getStatus().getPodIP();

        assertThat(get("http://" + podAddress + ":8080/")).isEqualTo(PAGE);
        // kube-proxy programs a Service within about a second of its endpoint becoming ready
        await("the Service answers at " + serviceAddress).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> PAGE.equals(get("http://" + serviceAddress + "/")));
    }

    @Test
    void aJobResolvesTheServiceByNameAndGetsThePageThroughIt() {
        // busybox-static's nc takes the address, not the name: its getaddrinfo (static glibc) cannot use the cluster DNS
        String script = "nslookup web.%1$s.svc.cluster.local | grep -F '%2$s'"
                + " && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 %2$s 80 | grep -F '%3$s'";
        cluster.kubectl().runWithInput("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: client}
                spec:
                  backoffLimit: 0
                  template:
                    spec:
                      restartPolicy: Never
                      securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534}
                      containers:
                      - name: main
                        image: %s
                        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                        command: ["sh", "-c", "%s"]
                """.formatted(TestCluster.BUSYBOX, script.formatted(NAMESPACE, serviceAddress, PAGE).replace("\\", "\\\\")),
                "apply", "-n", NAMESPACE, "-f", "-").orThrow();

        Kubectl.Result complete = cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Complete",
                "--timeout=" + READY.toSeconds() + "s", "job/client");

        assertThat(complete.exitCode()).as("%s\nthe Job's log:\n%s", complete,
                cluster.kubectl().run("logs", "-n", NAMESPACE, "job/client").stdout()).isZero();
        assertThat(cluster.kubectl().run("logs", "-n", NAMESPACE, "job/client").orThrow().stdout()).contains(serviceAddress, PAGE);
    }

    private static String get(String uri) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.body().strip();
    }
}
