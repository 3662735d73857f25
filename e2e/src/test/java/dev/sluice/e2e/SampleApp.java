package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The sample app the injection tests run: busybox httpd, which serves on the port {@code PORT} names
 * (the port contract the pods declare, so the injected sidecar can take {@link #PORT} over) and exits at
 * once on SIGTERM; a Deployment of it, its Service by the port's name, and a RateLimitPolicy that
 * limits its {@code /limited} path per pod.
 */
final class SampleApp {
    /** The app's declared port, named http: the one the injected sidecar takes over. */
    static final int PORT = 8080;
    /** The injected sidecar's admin port (the chart's sidecar.adminPort). */
    static final int ADMIN_PORT = 15021;
    static final String SIDECAR = "sluice-sidecar";
    /** Pages at /healthz (probed) and /limited/a (limited), then httpd on $PORT. */
    static final String HTTPD = "mkdir -p /tmp/www/limited && echo ok > /tmp/www/healthz && echo ok > /tmp/www/limited/a"
            + " && exec httpd -f -p \"$PORT\" -h /tmp/www";
    private static final Duration READY = Duration.ofMinutes(3);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SampleApp() {
    }

    /** A Deployment of the app, labelled {@code app: <name>, policy: web}, probed on its port by name. */
    static String deployment(String name, int replicas, String image) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %1$s}
                spec:
                  replicas: %2$d
                  selector: {matchLabels: {app: %1$s}}
                  template:
                    metadata: {labels: {app: %1$s, policy: web}}
                    spec:
                      terminationGracePeriodSeconds: 20
                      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
                      containers:
                      - name: app
                        image: %3$s
                        command: ["sh", "-c", %4$s]
                        env: [{name: PORT, value: "%5$d"}]
                        ports: [{name: http, containerPort: %5$d}]
                        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
                        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
                        volumeMounts: [{name: www, mountPath: /tmp}]
                      volumes: [{name: www, emptyDir: {}}]
                ---
                """.formatted(name, replicas, image, quoted(HTTPD), PORT);
    }

    /**
     * A Namespace labelled for injection under Pod Security's {@code restricted} profile, as a platform team makes one:
     * the injected sidecar must pass it. Ends with a document separator, so that more documents may follow.
     */
    static String injectedRestrictedNamespace(String name) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  labels:
                    sluice.dev/inject: enabled
                    pod-security.kubernetes.io/enforce: restricted
                    pod-security.kubernetes.io/enforce-version: latest
                ---
                """.formatted(name);
    }

    /** A ClusterIP Service on port 80 that targets the app's port by its name, as users write them. */
    static String service(String name) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s}
                spec: {selector: {app: %1$s}, ports: [{port: 80, targetPort: http}]}
                """.formatted(name);
    }

    /** RateLimitPolicy {@code web}: {@code requests} per hour to /limited in each pod labelled {@code policy: web} (nothing refills during a test). */
    static String policy(int requests) {
        return """
                apiVersion: sluice.dev/v1alpha1
                kind: RateLimitPolicy
                metadata: {name: web}
                spec:
                  podSelector:
                    matchLabels: {policy: web}
                  rules:
                    - name: limited
                      match:
                        path: {prefix: /limited}
                      limits:
                        - requests: %d
                          period: 1h
                """.formatted(requests);
    }

    /**
     * Applies {@link #policy} in {@code namespace} and waits until the operator rendered it: before any
     * pod, since a sidecar that starts before the ConfigMap exists enforces nothing until its volume's
     * next sync (a minute or more), unless its watch delivers first.
     */
    static void applyPolicy(TestCluster cluster, String namespace, int requests) {
        cluster.kubectl().runWithInput(policy(requests), "apply", "-n", namespace, "-f", "-").orThrow();
        cluster.kubectl().run("wait", "-n", namespace, "--for=condition=Ready", "--timeout=60s", "rlp/web").orThrow();
        await("sidecar ConfigMap in " + namespace).atMost(Duration.ofMinutes(1))
                .until(() -> cluster.client().configMaps().inNamespace(namespace).withName("sluice-config").get() != null);
    }

    static List<Pod> awaitReadyPods(TestCluster cluster, String namespace, String app, int count) {
        return await(count + " Ready pods of " + namespace + "/" + app).atMost(READY).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> cluster.client().pods().inNamespace(namespace).withLabel("app", app).list().getItems().stream()
                        .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null && Readiness.isPodReady(pod)).toList(),
                        ready -> ready.size() == count);
    }

    /** The injected sidecar container of the pod, if it has one. */
    static Optional<Container> sidecar(Pod pod) {
        return Optional.ofNullable(pod.getSpec().getInitContainers()).orElse(List.of()).stream()
                .filter(container -> SIDECAR.equals(container.getName())).findFirst();
    }

    static HttpResponse<String> get(String uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A YAML double-quoted string. */
    static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
