package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import dev.sluice.operator.render.SidecarConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A pod of an app with the sidecar in front of it, as the operator's users run them: the pod opts in
 * with the label {@code sluice.dev/inject: "true"} and declares that its app reads its port from
 * {@code PORT}, and the operator's injection webhook adds the sidecar (see docs/injection.md), which
 * takes over the port named {@code http} and reads the operator's ConfigMap ({@link SidecarConfigMap#NAME})
 * through a volume. The app is busybox httpd answering 200 at the paths given. Requests go through a
 * ClusterIP Service of the same name that targets the port by name; the admin port is read at the
 * pod's address.
 */
final class SidecarPod {
    /** The injected sidecar's admin port (the chart's sidecar.adminPort). */
    private static final int ADMIN_PORT = 15021;
    private static final int APP_PORT = 8081;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String serviceAddress;
    private final String podAddress;

    private SidecarPod(String serviceAddress, String podAddress) {
        this.serviceAddress = serviceAddress;
        this.podAddress = podAddress;
    }

    /**
     * Creates the pod and its Service in {@code namespace} and waits until the pod, sidecar injected,
     * is Ready and the Service answers at {@code probePath} (a path no rule limits: kube-proxy programs a
     * new Service within about a second, and a request that counted against a limit would skew the test).
     */
    static SidecarPod start(TestCluster cluster, String namespace, String name, Map<String, String> labels, List<String> appPaths,
            String probePath) {
        String labelLines = labels.entrySet().stream().map(label -> label.getKey() + ": " + label.getValue())
                .collect(Collectors.joining(", ", "{\"sluice.dev/inject\": \"true\", ", "}"));
        String pages = appPaths.stream().map(path -> "mkdir -p \"$(dirname /tmp/www" + path + ")\" && echo ok > /tmp/www" + path)
                .collect(Collectors.joining(" && "));
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %1$s, labels: %2$s}
                spec:
                  terminationGracePeriodSeconds: 5
                  securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
                  containers:
                  - name: app
                    image: %4$s
                    command: ["sh", "-c", %3$s]
                    env: [{name: PORT, value: "%5$d"}]
                    ports: [{name: http, containerPort: %5$d}]
                    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                    volumeMounts: [{name: app-tmp, mountPath: /tmp}]
                  volumes:
                  - {name: app-tmp, emptyDir: {}}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s}
                spec: {selector: %2$s, ports: [{port: 80, targetPort: http}]}
                """.formatted(name, labelLines, quoted(pages + " && exec httpd -f -p \"$PORT\" -h /tmp/www"), TestCluster.BUSYBOX, APP_PORT),
                "apply", "-n", namespace, "-f", "-").orThrow();
        Pod pod = await("sidecar pod " + name + " Ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> cluster.client().pods().inNamespace(namespace).withName(name).get(), p -> p != null && Readiness.isPodReady(p));
        boolean injected = pod.getSpec().getInitContainers().stream().anyMatch(container -> "sluice-sidecar".equals(container.getName()));
        if (!injected) {
            throw new IllegalStateException("pod " + namespace + "/" + name + " was not injected: " + pod.getMetadata().getAnnotations());
        }
        String clusterIp = cluster.client().services().inNamespace(namespace).withName(name).get().getSpec().getClusterIP();
        SidecarPod sidecar = new SidecarPod(clusterIp, pod.getStatus().getPodIP());
        await("Service " + name + " answers at " + clusterIp).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> sidecar.get(probePath).statusCode() == 200);
        return sidecar;
    }

    /** A request through the Service: to the sidecar, and through it to the app. */
    HttpResponse<String> get(String path) {
        return send("http://" + serviceAddress + path);
    }

    /** A request to the sidecar's admin port. */
    HttpResponse<String> admin(String path) {
        return send("http://" + podAddress + ":" + ADMIN_PORT + path);
    }

    private static HttpResponse<String> send(String uri) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A YAML double-quoted string. */
    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
