package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sidecar injection on the real cluster, by the operator the chart installed: pods of a namespace
 * labelled {@code sluice.dev/inject=enabled} get the sidecar as a native sidecar that takes over their
 * HTTP port, so an unmodified Service reaches it and a RateLimitPolicy is enforced; kubelet probes
 * reach the app directly; Jobs complete; pods that must not get it do not; a rollout under traffic
 * loses no request. The app is busybox httpd, which reads its port from {@code PORT} (the contract the
 * pods declare) and exits at once on SIGTERM.
 */
@ExtendWith(ClusterExtension.class)
class InjectionE2E {
    private static final Logger LOG = LoggerFactory.getLogger(InjectionE2E.class);
    /** Labelled enabled, under the Pod Security restricted profile, which the injected pods must pass. */
    private static final String SHOP = "inject-shop";
    /** Labelled enabled, with no Pod Security profile, for the pods restricted could not admit (hostNetwork). */
    private static final String MISC = "inject-misc";
    /** Not labelled. */
    private static final String PLAIN = "inject-plain";
    private static final String INJECTED = "sluice.dev/injected";
    private static final String SKIPPED = "sluice.dev/injection-skipped";
    private static final int APP_PORT = SampleApp.PORT;
    private static final int ADMIN_PORT = SampleApp.ADMIN_PORT;
    /** The limited path's limit per pod: an hour's window, so nothing refills while the test runs. */
    private static final int LIMIT = 5;
    private static final Duration READY = Duration.ofMinutes(3);

    static TestCluster cluster;

    @BeforeAll
    static void installOperator(TestCluster testCluster) {
        cluster = testCluster;
        cluster.operator();
        cluster.kubectl().runWithInput(SampleApp.injectedRestrictedNamespace(SHOP) + """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  labels: {sluice.dev/inject: enabled}
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                """.formatted(MISC, PLAIN), "apply", "-f", "-").orThrow();
        for (String namespace : List.of(SHOP, PLAIN)) {
            SampleApp.applyPolicy(cluster, namespace, LIMIT);
        }
    }

    @Test
    void everyPodOfADeploymentGetsTheSidecarAndTheUnmodifiedServiceIsLimited() throws Exception {
        long began = System.nanoTime();
        cluster.kubectl().runWithInput(SampleApp.deployment("web", 3, TestCluster.BUSYBOX) + SampleApp.service("web"), "apply", "-n", SHOP, "-f", "-").orThrow();
        List<Pod> pods = SampleApp.awaitReadyPods(cluster, SHOP, "web", 3);
        LOG.info("3 injected pods Ready {} ms after the Deployment was applied", (System.nanoTime() - began) / 1_000_000);

        for (Pod pod : pods) {
            Container sidecar = SampleApp.sidecar(pod).orElseThrow(() -> new AssertionError("no sidecar in " + name(pod)));
            assertThat(sidecar.getRestartPolicy()).as("a native sidecar").isEqualTo("Always");
            assertThat(sidecar.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                    .contains(tuple("http", APP_PORT));
            assertThat(pod.getMetadata().getAnnotations()).containsKey(INJECTED);
            Container app = pod.getSpec().getContainers().get(0);
            int moved = app.getPorts().get(0).getContainerPort();
            assertThat(moved).isNotEqualTo(APP_PORT);
            assertThat(app.getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
                    .contains(tuple("PORT", Integer.toString(moved)));
            assertThat(app.getReadinessProbe().getHttpGet().getPort().getIntVal()).as("the probe reaches the app directly").isEqualTo(moved);
        }

        // The kubelet has probed each app every second since it started: had a probe gone through the
        // sidecar, the limited path's budget would not be touched, but the request count would; wait
        // for a few probes, then check that each sidecar saw none of them.
        Thread.sleep(3_000);
        Pod first = pods.get(0);
        String podUrl = "http://" + first.getStatus().getPodIP() + ":" + APP_PORT;
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> refused = null;
        for (int i = 0; i <= LIMIT; i++) {
            HttpResponse<String> response = SampleApp.get(podUrl + "/limited/a");
            statuses.add(response.statusCode());
            refused = response;
        }
        assertThat(statuses).as("straight to one pod's sidecar").containsExactly(200, 200, 200, 200, 200, 429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValueSatisfying(policy -> assertThat(policy).contains("limited"));
        assertThat(SampleApp.get(podUrl + "/healthz").statusCode()).as("an unlimited path").isEqualTo(200);
        String metrics = SampleApp.get("http://" + first.getStatus().getPodIP() + ":" + ADMIN_PORT + "/metrics").body();
        assertThat(requestsCounted(metrics)).as("requests the sidecar counted: ours only, no kubelet probe\n" + metrics)
                .isEqualTo(LIMIT + 2);

        // Through the Service, which still targets the port named http: the first pod allows no more, the
        // two others LIMIT each. A new connection per request, so that kube-proxy spreads them over the pods
        // (a kept-alive connection stays with the pod it reached first).
        String clusterIp = cluster.client().services().inNamespace(SHOP).withName("web").get().getSpec().getClusterIP();
        Map<Integer, Integer> byStatus = new TreeMap<>();
        for (int i = 0; i < 3 * LIMIT + 10; i++) {
            HttpClient once = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = once.send(HttpRequest.newBuilder(URI.create("http://" + clusterIp + "/limited/a"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            byStatus.merge(response.statusCode(), 1, Integer::sum);
        }
        assertThat(byStatus.keySet()).as("statuses through the Service " + byStatus).isSubsetOf(200, 429).contains(429);
        assertThat(byStatus.getOrDefault(200, 0)).as("allowed through the Service " + byStatus).isLessThanOrEqualTo(2 * LIMIT);
        assertThat(byStatus.get(429)).as("refused through the Service " + byStatus).isGreaterThanOrEqualTo(LIMIT + 10);
    }

    @Test
    void aJobCompletesWithTheSidecar() {
        cluster.kubectl().runWithInput("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: batch}
                spec:
                  backoffLimit: 0
                  template:
                    metadata: {labels: {app: batch}}
                    spec:
                      restartPolicy: Never
                      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
                      containers:
                      - name: work
                        image: %s
                        command: ["sh", "-c", "sleep 2"]
                        env: [{name: PORT, value: "%d"}]
                        ports: [{name: http, containerPort: %d}]
                        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
                """.formatted(TestCluster.BUSYBOX, APP_PORT, APP_PORT), "apply", "-n", SHOP, "-f", "-").orThrow();
        Kubectl.Result complete = cluster.kubectl().run("wait", "-n", SHOP, "--for=condition=Complete", "--timeout=180s", "job/batch");
        assertThat(complete.exitCode()).as(complete.toString()).isZero();
        Pod pod = cluster.client().pods().inNamespace(SHOP).withLabel("app", "batch").list().getItems().get(0);
        assertThat(SampleApp.sidecar(pod)).as("the Job's pod ran the sidecar").isPresent();
        Job job = cluster.client().batch().v1().jobs().inNamespace(SHOP).withName("batch").get();
        assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
    }

    @Test
    void podsThatMustNotGetTheSidecarDoNot() throws Exception {
        // Opted out, in a namespace that allows it.
        createPod(MISC, "opted-out", Map.of("app", "other", "sluice.dev/inject", "false"), true, false);
        // hostNetwork: the sidecar could not take a port of the node.
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata: {name: host-network, labels: {app: other}}
                spec:
                  hostNetwork: true
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: %s
                    command: ["sleep", "3600"]
                    env: [{name: PORT, value: "18089"}]
                    ports: [{name: http, containerPort: 18089}]
                """.formatted(TestCluster.BUSYBOX), "apply", "-n", MISC, "-f", "-").orThrow();
        // No port contract: an app that keeps its own port would crash-loop against the sidecar.
        createPod(MISC, "no-contract", Map.of("app", "other"), false, true);
        // An unlabelled namespace: only a pod that opts in gets it.
        createPod(PLAIN, "plain", Map.of("app", "other"), true, false);
        createPod(PLAIN, "opted-in", Map.of("app", "web", "sluice.dev/inject", "true"), true, false);
        // The operator's namespace never, even opted in.
        createPod(OperatorDeployment.NAMESPACE, "opted-in-operator-namespace", Map.of("app", "other", "sluice.dev/inject", "true"), true, false);

        for (String[] notInjected : new String[][] {{MISC, "opted-out"}, {MISC, "host-network"}, {MISC, "no-contract"}, {PLAIN, "plain"},
                {OperatorDeployment.NAMESPACE, "opted-in-operator-namespace"}}) {
            Pod pod = awaitReady(notInjected[0], notInjected[1]);
            assertThat(SampleApp.sidecar(pod)).as(notInjected[0] + "/" + notInjected[1] + " not injected").isEmpty();
        }
        for (Pod operator : cluster.operator().pods()) {
            assertThat(SampleApp.sidecar(operator)).as("operator pod " + name(operator)).isEmpty();
        }
        Pod noContract = awaitReady(MISC, "no-contract");
        assertThat(noContract.getMetadata().getAnnotations()).hasEntrySatisfying(SKIPPED,
                reason -> assertThat(reason).contains("sluice.dev/port-env"));
        assertThat(SampleApp.get("http://" + noContract.getStatus().getPodIP() + ":" + APP_PORT + "/healthz").statusCode())
                .as("the app that was not injected keeps working").isEqualTo(200);
        Event missing = await("a SidecarMissing event for no-contract").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> event(MISC, "no-contract", "SidecarMissing"), Optional::isPresent).orElseThrow();
        assertThat(missing.getType()).isEqualTo("Warning");
        assertThat(missing.getMessage()).contains("sluice.dev/port-env");

        Pod optedIn = awaitReady(PLAIN, "opted-in");
        assertThat(SampleApp.sidecar(optedIn)).as("opted in, in an unlabelled namespace").isPresent();
        String url = "http://" + optedIn.getStatus().getPodIP() + ":" + APP_PORT;
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i <= LIMIT; i++) {
            statuses.add(SampleApp.get(url + "/limited/a").statusCode());
        }
        assertThat(statuses).as("the opted-in pod's sidecar enforces its namespace's policy").containsExactly(200, 200, 200, 200, 200, 429);
    }

    @Test
    void aRolloutUnderSteadyTrafficFailsNoRequestButByARateLimit() throws Exception {
        String next = "localhost/web-app:2";
        cluster.tagImage(TestCluster.BUSYBOX, next);
        cluster.kubectl().runWithInput(SampleApp.deployment("roll", 2, TestCluster.BUSYBOX) + SampleApp.service("roll"), "apply", "-n", SHOP, "-f", "-").orThrow();
        SampleApp.awaitReadyPods(cluster, SHOP, "roll", 2);
        String clusterIp = cluster.client().services().inNamespace(SHOP).withName("roll").get().getSpec().getClusterIP();

        Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (String path : List.of("/healthz", "/limited/a")) {
                // One keep-alive client per path, as a service calling another would: a connection the
                // draining sidecar closes is opened again, to a pod still serving.
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                running.add(clients.submit(() -> {
                    while (!stop.get()) {
                        String outcome;
                        try {
                            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://" + clusterIp + path))
                                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                            outcome = Integer.toString(response.statusCode());
                            if (response.statusCode() != 200 && response.statusCode() != 429) {
                                failures.add(path + " -> " + response.statusCode() + " " + response.body().strip());
                            }
                        } catch (IOException e) {
                            outcome = e.getClass().getSimpleName();
                            failures.add(path + " -> " + e);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        outcomes.computeIfAbsent(outcome, key -> new AtomicLong()).incrementAndGet();
                        pause(Duration.ofMillis(20));
                    }
                }));
            }
            pause(Duration.ofSeconds(2));
            long began = System.nanoTime();
            cluster.kubectl().run("set", "image", "-n", SHOP, "deployment/roll", "app=" + next).orThrow();
            cluster.kubectl().run("rollout", "status", "-n", SHOP, "deployment/roll", "--timeout=5m").orThrow();
            // past the old pods' last seconds of drain
            await("the old pods gone").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> cluster.client().pods().inNamespace(SHOP).withLabel("app", "roll").list().getItems().stream()
                            .allMatch(pod -> pod.getSpec().getContainers().get(0).getImage().equals(next)));
            pause(Duration.ofSeconds(2));
            LOG.info("rollout of 2 injected pods under traffic took {} ms: {}", (System.nanoTime() - began) / 1_000_000, outcomes);
            stop.set(true);
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            stop.set(true);
            clients.shutdownNow();
        }
        assertThat(outcomes.getOrDefault("200", new AtomicLong()).get()).as("requests served: " + outcomes).isGreaterThan(50);
        assertThat(outcomes.getOrDefault("429", new AtomicLong()).get()).as("requests limited: " + outcomes).isPositive();
        assertThat(failures).as("requests that failed other than by a rate limit, of " + outcomes).isEmpty();
    }

    @Test
    void startToReadyAndSidecarMemoryAreMeasured() throws Exception {
        // One after the other, so that neither Deployment's pods start on a machine busy with the other's.
        cluster.kubectl().runWithInput(SampleApp.deployment("plain-web", 3, TestCluster.BUSYBOX), "apply", "-n", PLAIN, "-f", "-").orThrow();
        List<Pod> without = SampleApp.awaitReadyPods(cluster, PLAIN, "plain-web", 3);
        cluster.kubectl().runWithInput(SampleApp.deployment("timed", 3, TestCluster.BUSYBOX), "apply", "-n", SHOP, "-f", "-").orThrow();
        List<Pod> with = SampleApp.awaitReadyPods(cluster, SHOP, "timed", 3);
        assertThat(without).allSatisfy(pod -> assertThat(SampleApp.sidecar(pod)).isEmpty());
        assertThat(with).allSatisfy(pod -> assertThat(SampleApp.sidecar(pod)).isPresent());
        LOG.info("pod start to Ready (s, from the pod's Ready condition): without the sidecar {}, with it {}",
                startToReady(without), startToReady(with));
        for (Pod pod : with) {
            SampleApp.get("http://" + pod.getStatus().getPodIP() + ":" + APP_PORT + "/healthz");
        }
        String node = with.get(0).getSpec().getNodeName();
        // The kubelet's summary: each container's working set, as `kubectl top` would show it.
        String summary = cluster.kubectl().run("get", "--raw", "/api/v1/nodes/" + node + "/proxy/stats/summary").orThrow().stdout();
        JsonNode stats = new ObjectMapper().readTree(summary);
        List<Long> workingSets = new ArrayList<>();
        for (JsonNode pod : stats.path("pods")) {
            if (SHOP.equals(pod.path("podRef").path("namespace").asText()) && pod.path("podRef").path("name").asText().startsWith("timed-")) {
                for (JsonNode container : pod.path("containers")) {
                    if (SampleApp.SIDECAR.equals(container.path("name").asText())) {
                        workingSets.add(container.path("memory").path("workingSetBytes").asLong());
                    }
                }
            }
        }
        LOG.info("sidecar working set under light traffic (MiB): {}", workingSets.stream().map(bytes -> bytes / (1024 * 1024)).toList());
        assertThat(workingSets).as("the kubelet reports each sidecar's memory").hasSize(3).allSatisfy(bytes -> assertThat(bytes).isPositive());
    }

    /**
     * A busybox httpd pod: on {@code PORT} when {@code contract}, else on 8080 with no {@code PORT} (an
     * app that ignores it); restricted-compliant so it can go anywhere.
     */
    private static void createPod(String namespace, String name, Map<String, String> labels, boolean contract, boolean policyLabel) {
        Map<String, String> all = new TreeMap<>(labels);
        all.put("policy", "web");
        String labelLines = all.entrySet().stream().map(label -> "\"" + label.getKey() + "\": \"" + label.getValue() + "\"")
                .collect(Collectors.joining(", ", "{", "}"));
        String command = contract ? SampleApp.HTTPD : SampleApp.HTTPD.replace("\"$PORT\"", Integer.toString(APP_PORT));
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %1$s, labels: %2$s}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: app
                    image: %3$s
                    command: ["sh", "-c", %4$s]
                    %5$s
                    ports: [{name: http, containerPort: %6$d}]
                    readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
                    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
                    volumeMounts: [{name: www, mountPath: /tmp}]
                  volumes: [{name: www, emptyDir: {}}]
                """.formatted(name, labelLines, TestCluster.BUSYBOX, SampleApp.quoted(command),
                contract ? "env: [{name: PORT, value: \"" + APP_PORT + "\"}]" : "env: []", APP_PORT), "apply", "-n", namespace, "-f", "-").orThrow();
    }

    private static Pod awaitReady(String namespace, String name) {
        return await(namespace + "/" + name + " Ready").atMost(READY).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> cluster.client().pods().inNamespace(namespace).withName(name).get(), pod -> pod != null && Readiness.isPodReady(pod));
    }

    private static Optional<Event> event(String namespace, String pod, String reason) {
        return cluster.client().v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(event -> pod.equals(event.getInvolvedObject().getName()) && reason.equals(event.getReason())).findFirst();
    }

    /** Seconds from each pod's creation to its Ready condition, as the API server recorded them. */
    private static List<Long> startToReady(List<Pod> pods) {
        return pods.stream().map(pod -> {
            Instant created = Instant.parse(pod.getMetadata().getCreationTimestamp());
            Instant ready = pod.getStatus().getConditions().stream().filter(condition -> "Ready".equals(condition.getType()))
                    .map(condition -> Instant.parse(condition.getLastTransitionTime())).findFirst().orElseThrow();
            return Duration.between(created, ready).toSeconds();
        }).sorted().toList();
    }

    /** The sidecar's count of requests it answered, all statuses, from its Prometheus text (the duration histogram's counts). */
    private static long requestsCounted(String metrics) {
        return metrics.lines().filter(line -> line.startsWith("sluice_proxy_request_duration_seconds_count{"))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String name(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }
}
