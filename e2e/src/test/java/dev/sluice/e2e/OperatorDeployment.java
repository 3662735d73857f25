package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator as users install it: {@code helm install sluice charts/sluice -n sluice-system} next to
 * the CRDs {@code kubectl apply -f crds/} created (the documented path), with the chart's defaults (two
 * replicas, one holding the leader Lease), in a namespace that enforces the Pod Security
 * {@code restricted} profile, its pods from the image the build wrote. Tests read what it did through
 * the API and its metrics endpoint, stop and start it by scaling the Deployment, force-delete its pods,
 * and upgrade or uninstall the release. The logs of every operator container the suite ran are kept
 * under {@code e2e/target/cluster/operator-logs/}.
 */
public final class OperatorDeployment {
    public static final String NAMESPACE = "sluice-system";
    /** The Helm release; the chart names the Deployment {@code <release>-operator}. */
    public static final String RELEASE = "sluice";
    public static final String NAME = "sluice-operator";
    /** The leader Lease (the chart's leaderElection.leaseName), in {@link #NAMESPACE}. */
    public static final String LEASE = "sluice-operator";
    static final String SELECTOR = "app.kubernetes.io/name=sluice-operator";
    static final Path CHART = Path.of("charts/sluice");
    /** The chart's default {@code replicaCount}. */
    public static final int CHART_REPLICAS = 2;
    /**
     * The suite installs the chart's default: every replica serves the webhooks, and a JobQuota's status
     * totals count the decisions of each once (they are flushed into ConfigMap sluice-job-totals).
     */
    public static final int REPLICAS = CHART_REPLICAS;
    /** Its port of /healthz, /readyz and /metrics (named {@code http} in the chart). */
    private static final int HTTP_PORT = 8081;
    private static final Duration READY = Duration.ofMinutes(5);
    /** The exit code of a container killed with SIGKILL. */
    private static final int KILLED = 137;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Logger LOG = LoggerFactory.getLogger(OperatorDeployment.class);

    private final TestCluster cluster;
    private final Path logs;
    /** Guarded by this: the operator pods whose logs are followed, by name. */
    private final Map<String, Process> followed = new HashMap<>();

    private OperatorDeployment(TestCluster cluster, Path logs) {
        this.cluster = cluster;
        this.logs = logs;
    }

    static OperatorDeployment install(TestCluster cluster) {
        String chart = TestCluster.path(CHART.toString()).toString();
        String deployed = deployment(cluster, chart).getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
        if (!deployed.equals(cluster.images().operator())) {
            throw new IllegalStateException(CHART + " runs " + deployed + " by default, the build wrote " + cluster.images().operator()
                    + ": keep the chart's appVersion the project version");
        }
        // The namespace first, as a platform team makes it: the restricted profile enforced, which the
        // chart's default securityContext must pass.
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  labels:
                    pod-security.kubernetes.io/enforce: restricted
                    pod-security.kubernetes.io/enforce-version: latest
                """.formatted(NAMESPACE), "apply", "-f", "-").orThrow();
        long started = System.nanoTime();
        cluster.helm().run("install", RELEASE, chart, "-n", NAMESPACE, "--set", "replicaCount=" + REPLICAS, "--wait", "--timeout", "5m")
                .orThrow();
        OperatorDeployment operator = new OperatorDeployment(cluster, emptied(TestCluster.directory("e2e/target/cluster/operator-logs")));
        operator.awaitReadyPods(REPLICAS);
        LOG.info("{} operator pod(s) Ready {} ms after helm install", REPLICAS, (System.nanoTime() - started) / 1_000_000);
        return operator;
    }

    /** The Deployment as the chart renders it with its default values. */
    private static Deployment deployment(TestCluster cluster, String chart) {
        String rendered = cluster.helm().run("template", RELEASE, chart, "-n", NAMESPACE, "--show-only", "templates/deployment.yaml")
                .orThrow().stdout();
        return cluster.client().getKubernetesSerialization().unmarshal(rendered, Deployment.class);
    }

    /** Waits for {@code count} Ready operator pods (none being deleted), and returns them. */
    public List<Pod> awaitReadyPods(int count) {
        return await(count + " Ready operator pods").atMost(READY).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(this::readyPods, ready -> ready.size() == count);
    }

    /**
     * {@code helm upgrade} of the release with the values it has plus {@code settings} (e.g.
     * {@code --set logging.format=json}), waiting for the rollout; returns what helm printed.
     */
    public Kubectl.Result upgrade(String... settings) {
        collectLogs();
        List<String> args = new ArrayList<>(List.of("upgrade", RELEASE, TestCluster.path(CHART.toString()).toString(), "-n", NAMESPACE,
                "--reuse-values", "--wait", "--timeout", "5m"));
        args.addAll(List.of(settings));
        return cluster.helm().run(args.toArray(String[]::new)).orThrow();
    }

    /** The name of the pod that holds the leader Lease now (its holder identity), or null when none does. */
    public String leader() {
        Lease lease = cluster.client().leases().inNamespace(NAMESPACE).withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** The operator's pods now, Ready or not. */
    public List<Pod> pods() {
        return cluster.client().pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/name", NAME).list().getItems();
    }

    /** The operator's pods that are Ready now and not being deleted. */
    private List<Pod> readyPods() {
        return pods().stream().filter(pod -> pod.getMetadata().getDeletionTimestamp() == null && Readiness.isPodReady(pod)).toList();
    }

    /** Waits for a Ready operator pod other than {@code replaced} (and, of those, not being deleted). */
    public Pod awaitReadyPod(Set<String> replaced) {
        return await("a Ready operator pod other than " + replaced).atMost(READY).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> readyPods().stream().filter(pod -> !replaced.contains(pod.getMetadata().getName()))
                        .findFirst().orElse(null), pod -> pod != null);
    }

    /**
     * Stops the operator: the Deployment scaled to no replica, and its pods gone. The operator must
     * stop on SIGTERM: a container still running at the end of its grace period is killed (exit 137),
     * and its work is cut short.
     */
    public void stop() {
        collectLogs();
        Map<String, Integer> exitCodes = new ConcurrentHashMap<>();
        try (Watch watch = cluster.client().pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/name", NAME)
                .watch(new Watcher<Pod>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                        if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
                            pod.getStatus().getContainerStatuses().stream().filter(c -> c.getState().getTerminated() != null)
                                    .forEach(c -> exitCodes.put(pod.getMetadata().getName(), c.getState().getTerminated().getExitCode()));
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                })) {
            Set<String> stopping = pods().stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
            cluster.kubectl().run("scale", "-n", NAMESPACE, "deployment/" + NAME, "--replicas=0").orThrow();
            await("no operator pod").atMost(READY).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> pods().isEmpty());
            await("the exit codes of " + stopping).atMost(Duration.ofSeconds(30)).until(() -> exitCodes.keySet().containsAll(stopping));
        }
        if (exitCodes.containsValue(KILLED)) {
            throw new IllegalStateException("the operator did not stop on SIGTERM and was killed at the end of its grace period: "
                    + "exit codes " + exitCodes + " (137: SIGKILL)");
        }
    }

    /** Starts it again (the suite's replicas) and waits for a pod to be Ready. */
    public void start() {
        cluster.kubectl().run("scale", "-n", NAMESPACE, "deployment/" + NAME, "--replicas=" + REPLICAS).orThrow();
        awaitReadyPod(Set.of());
    }

    /** Starts the operator if a test stopped it (and failed before starting it again), and waits for a Ready pod. */
    public void ensureRunning() {
        Deployment deployment = cluster.client().apps().deployments().inNamespace(NAMESPACE).withName(NAME).get();
        if (deployment.getSpec().getReplicas() == 0) {
            start();
        } else {
            awaitReadyPod(Set.of());
        }
    }

    /**
     * {@code kubectl delete pod --grace-period=0 --force} of the operator's pods: the API objects go at
     * once, the containers are killed without a chance to finish their work. Returns the deleted pods' names.
     */
    public Set<String> forceDeletePods() {
        collectLogs();
        Set<String> names = pods().stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
        cluster.kubectl().run("delete", "pod", "-n", NAMESPACE, "-l", SELECTOR, "--grace-period=0", "--force").orThrow();
        return names;
    }

    /**
     * What the /metrics of each Ready operator pod answers (Prometheus text), joined: every replica
     * serves the webhooks and counts its own decisions; the leader alone reconciles, and reports the
     * namespaces' gauges.
     */
    public String metrics() {
        StringBuilder all = new StringBuilder();
        awaitReadyPod(Set.of());
        for (Pod pod : readyPods()) {
            all.append(metrics(pod)).append('\n');
        }
        return all.toString();
    }

    private static String metrics(Pod pod) {
        URI uri = URI.create("http://" + pod.getStatus().getPodIP() + ":" + HTTP_PORT + "/metrics");
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(uri + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Saves the logs of the operator's containers now running (and of their previous instances) under
     * the logs folder, and follows each pod's container from the first time it is seen to its end into
     * {@code <pod>.followed.log}: what a replica logs while it stops (a rolling upgrade, a scale-down, a
     * force-delete) is kept after its pod is gone.
     */
    synchronized void collectLogs() {
        for (Pod pod : pods()) {
            String name = pod.getMetadata().getName();
            Process following = followed.get(name);
            boolean running = pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
                    && pod.getStatus().getContainerStatuses().stream().anyMatch(container -> container.getState().getRunning() != null);
            // kubectl ends by itself when the container does; or at once if it has not started yet: then again.
            if (following == null || !following.isAlive() && running) {
                followed.put(name, cluster.kubectl().start(logs.resolve(name + ".followed.log"), "logs", "-f", "-n", NAMESPACE, name));
            }
            for (boolean previous : new boolean[] {true, false}) {
                Kubectl.Result log = cluster.kubectl().run("logs", "-n", NAMESPACE, name, "--previous=" + previous);
                if (log.succeeded() && !log.stdout().isEmpty()) {
                    write(logs.resolve(name + (previous ? "-previous" : "") + ".log"), log.stdout());
                }
            }
        }
    }

    /** Stops following the pods' logs (the cluster goes down). */
    synchronized void stopFollowingLogs() {
        followed.values().forEach(Process::destroy);
        followed.clear();
    }

    /** The logs {@link #collectLogs} saved, by file. */
    List<Path> collectedLogs() {
        try (var files = Files.list(logs)) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code directory}, emptied of what an earlier run left in it. */
    private static Path emptied(Path directory) {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
