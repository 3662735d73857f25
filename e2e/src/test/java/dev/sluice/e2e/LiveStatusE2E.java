package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status describes enforcement, on the real node: three injected replicas of the sample app, the
 * policy {@code web} that limits them (patched twenty times), the policy {@code other} that is never
 * changed, and the inbound CircuitBreaker {@code web}. {@code kubectl wait --for=condition=Ready}
 * after a patch returns only once every sidecar enforces the new generation, as the sidecars' own
 * {@code /config} confirms; the time from the patch to all three enforcing is measured from the
 * sidecars' reported load times (the pods share this machine's clock). A rollout and the patches of
 * {@code web} never touch {@code other}'s Ready; a pod without a sidecar, the operator gone and an
 * open circuit each show in status as users read it.
 */
@ExtendWith(ClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveStatusE2E {
    private static final Logger LOG = LoggerFactory.getLogger(LiveStatusE2E.class);
    private static final String NAMESPACE = "live";
    private static final int REPLICAS = 3;
    private static final int PATCHES = 20;
    private static final int FIRST_LIMIT = 3;
    /** Far longer than the watch and the report round need, so that a timeout says they did not work. */
    private static final String WAIT = "--timeout=60s";
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    static TestCluster cluster;
    /** The limit {@code web} has now. */
    static int limit = FIRST_LIMIT;

    @BeforeAll
    static void deploy(TestCluster testCluster) {
        cluster = testCluster;
        cluster.operator();
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  labels: {sluice.dev/inject: enabled}
                """.formatted(NAMESPACE), "apply", "-f", "-").orThrow();
        SampleApp.applyPolicy(cluster, NAMESPACE, FIRST_LIMIT);
        cluster.kubectl().runWithInput("""
                apiVersion: sluice.dev/v1alpha1
                kind: RateLimitPolicy
                metadata: {name: other}
                spec:
                  podSelector:
                    matchLabels: {policy: web}
                  rules:
                    - name: other
                      match:
                        path: {prefix: /other}
                      limits:
                        - requests: 100
                          period: 1m
                ---
                apiVersion: sluice.dev/v1alpha1
                kind: CircuitBreaker
                metadata: {name: web}
                spec:
                  podSelector:
                    matchLabels: {policy: web}
                  target: {type: Inbound}
                  failureRateThreshold: 50
                  minimumNumberOfCalls: 5
                  slidingWindow: {type: Count, size: 10}
                  waitDurationInOpenState: 10m
                  failureStatuses: [404]
                """, "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        cluster.kubectl().runWithInput(SampleApp.deployment("web", REPLICAS, TestCluster.BUSYBOX), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS);
    }

    @AfterAll
    static void operatorBack() {
        if (cluster != null) {
            cluster.operator().ensureRunning();
        }
    }

    @Test
    @Order(1)
    void readyAfterAPatchMeansEverySidecarEnforcesIt() throws Exception {
        waitReady("rlp/web");
        waitReady("rlp/other");
        waitReady("circuitbreaker/web");
        // Ready does not wait for a sidecar ready for less than 3 report intervals that has not reported yet (a rollout must
        // leave a policy Ready), but it counts as enforcing only once it reports: the pods just became Ready.
        await("every sidecar reporting").atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(status("rlp/web").path("enforcing").asText()).isEqualTo(REPLICAS + "/" + REPLICAS);
            assertThat(status("circuitbreaker/web").path("enforcing").asText()).isEqualTo(REPLICAS + "/" + REPLICAS);
        });
        String otherSince = readySince("rlp/other");

        List<Pod> pods = SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS);
        List<String> admins = pods.stream().map(LiveStatusE2E::configUri).toList();
        List<Long> enforced = new ArrayList<>();
        List<Long> readyReturned = new ArrayList<>();
        for (int patch = 1; patch <= PATCHES; patch++) {
            limit = FIRST_LIMIT + patch;
            Instant patched = Instant.now();
            patchLimit(limit);
            long generation = generation("rlp/web");
            waitReady("rlp/web");
            readyReturned.add(Duration.between(patched, Instant.now()).toMillis());
            List<Long> delays = new ArrayList<>();
            for (String admin : admins) {
                // Read once, right after kubectl wait returned: Ready must not come before every sidecar enforces the generation.
                JsonNode config = config(admin);
                assertThat(enforcedGeneration(config, "RateLimitPolicy", "web")).as("patch %d: %s right after kubectl wait", patch, admin)
                        .contains(generation);
                delays.add(Duration.between(patched, Instant.parse(config.path("loadedAt").asText())).toMillis());
            }
            enforced.add(Collections.max(delays));
            assertThat(status("rlp/web").path("enforcedGeneration").asLong()).isEqualTo(generation);
        }
        LOG.info("from kubectl patch to all {} sidecars enforcing, over {} patches (ms): p50 {}, p99 {} (max), all {}", REPLICAS, PATCHES,
                percentile(enforced, 50), percentile(enforced, 99), enforced);
        LOG.info("from kubectl patch to kubectl wait --for=condition=Ready returning, over {} patches (ms): p50 {}, p99 {} (max), all {}",
                PATCHES, percentile(readyReturned, 50), percentile(readyReturned, 99), readyReturned);

        // Each pod, by its own address, enforces the last limit.
        for (Pod pod : pods) {
            assertLimitedAt(pod, limit);
        }
        assertThat(readySince("rlp/other")).as("the unchanged policy's Ready never changed during the patches of another").isEqualTo(otherSince);
    }

    @Test
    @Order(2)
    void aRolloutLeavesUnchangedPoliciesReady() {
        String webSince = readySince("rlp/web");
        String otherSince = readySince("rlp/other");
        AtomicReference<String> notReady = new AtomicReference<>();
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (String resource : List.of("rlp/web", "rlp/other")) {
                    readyCondition(resource).filter(ready -> !"True".equals(ready.path("status").asText()))
                            .ifPresent(ready -> notReady.compareAndSet(null, resource + ": " + ready));
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "ready-watcher");
        watcher.setDaemon(true);
        watcher.start();
        try {
            cluster.kubectl().run("rollout", "restart", "-n", NAMESPACE, "deployment/web").orThrow();
            cluster.kubectl().run("rollout", "status", "-n", NAMESPACE, "deployment/web", "--timeout=180s").orThrow();
            SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS);
            await("the new pods enforcing").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                    .until(() -> status("rlp/web").path("enforcing").asText(), (REPLICAS + "/" + REPLICAS)::equals);
        } finally {
            watcher.interrupt();
        }
        assertThat(notReady.get()).as("Ready seen other than True during the rollout").isNull();
        assertThat(readySince("rlp/web")).isEqualTo(webSince);
        assertThat(readySince("rlp/other")).isEqualTo(otherSince);
    }

    @Test
    @Order(3)
    void aSelectedPodWithoutASidecarMakesThePolicyNotReady() {
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: bare
                  labels: {policy: web, sluice.dev/inject: "false"}
                spec:
                  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: app
                    image: %s
                    command: ["sleep", "3600"]
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                """.formatted(TestCluster.BUSYBOX), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        try {
            cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Ready=false", WAIT, "rlp/web").orThrow();
            JsonNode ready = readyCondition("rlp/web").orElseThrow();
            assertThat(ready.path("reason").asText()).isEqualTo("PodsWithoutSidecar");
            assertThat(ready.path("message").asText()).contains("bare");
            assertThat(status("rlp/web").path("podsWithSidecar").asInt()).isEqualTo(REPLICAS);
        } finally {
            cluster.kubectl().run("delete", "pod", "-n", NAMESPACE, "bare", "--grace-period=0", "--force", "--wait=true").orThrow();
        }
        waitReady("rlp/web");
    }

    @Test
    @Order(4)
    void withTheOperatorGoneLimitsHoldAndStatusCatchesUpWhenItReturns() throws Exception {
        List<Pod> pods = SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS);
        long before = generation("rlp/web");
        cluster.operator().stop();
        try {
            // The sidecars keep the last configuration: a pod refuses past the limit it had.
            assertLimitedAt(pods.get(0), limit);
            patchLimit(limit + 1);
            assertThat(generation("rlp/web")).isGreaterThan(before);
            assertThat(readyCondition("rlp/web").orElseThrow().path("observedGeneration").asLong())
                    .as("nobody reconciles while the operator is gone").isEqualTo(before);
            assertLimitedAt(pods.get(1), limit);
        } finally {
            cluster.operator().start();
        }
        limit = limit + 1;
        waitReady("rlp/web");
        long generation = generation("rlp/web");
        assertThat(status("rlp/web").path("enforcedGeneration").asLong()).isEqualTo(generation);
        assertThat(status("rlp/web").path("enforcing").asText()).isEqualTo(REPLICAS + "/" + REPLICAS);
        for (Pod pod : pods) {
            assertThat(enforcedGeneration(config(configUri(pod)), "RateLimitPolicy", "web")).contains(generation);
        }
    }

    @Test
    @Order(5)
    void anOpenCircuitShowsInTheBreakersStatusWithAnEvent() throws Exception {
        Pod failing = SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS).get(0);
        String name = failing.getMetadata().getName();
        // busybox httpd answers 404 for a missing page: a failure status for this breaker, until it opens (503 from the sidecar).
        String missing = "http://" + failing.getStatus().getPodIP() + ":" + SampleApp.PORT + "/missing";
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            statuses.add(SampleApp.get(missing).statusCode());
        }
        assertThat(statuses).as("the circuit of " + name + " opens").contains(404).endsWith(503);
        JsonNode status = await("the open circuit in status").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                .until(() -> status("circuitbreaker/web"), s -> s.path("openCircuits").asInt() == 1);
        assertThat(StreamSupport.stream(status.path("openCircuitPods").spliterator(), false).map(JsonNode::asText)).containsExactly(name);
        Event opened = await("a CircuitOpened event").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                .until(() -> cluster.client().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                        .filter(event -> "CircuitOpened".equals(event.getReason()) && "web".equals(event.getInvolvedObject().getName())
                                && "CircuitBreaker".equals(event.getInvolvedObject().getKind()))
                        .findFirst(), Optional::isPresent).orElseThrow();
        assertThat(opened.getType()).isEqualTo("Warning");
        assertThat(opened.getMessage()).contains(name);
    }

    private static void patchLimit(int requests) {
        cluster.kubectl().run("patch", "-n", NAMESPACE, "rlp/web", "--type=json",
                "-p", "[{\"op\":\"replace\",\"path\":\"/spec/rules/0/limits/0/requests\",\"value\":" + requests + "}]").orThrow();
    }

    /** The pod refuses the request after the {@code requests}-th to its limited path (the counters carry over reloads, so first spend what is left). */
    private static void assertLimitedAt(Pod pod, int requests) throws Exception {
        String uri = "http://" + pod.getStatus().getPodIP() + ":" + SampleApp.PORT + "/limited/a";
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i <= requests; i++) {
            statuses.add(SampleApp.get(uri).statusCode());
        }
        assertThat(statuses).as("pod " + pod.getMetadata().getName()).endsWith(429).containsOnly(200, 429);
    }

    private static void waitReady(String resource) {
        cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Ready", WAIT, resource).orThrow();
    }

    private static JsonNode resource(String resource) {
        try {
            return JSON.readTree(cluster.kubectl().run("get", "-n", NAMESPACE, resource, "-o", "json").orThrow().stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode status(String resource) {
        return resource(resource).path("status");
    }

    private static long generation(String resource) {
        return resource(resource).path("metadata").path("generation").asLong();
    }

    private static Optional<JsonNode> readyCondition(String resource) {
        return StreamSupport.stream(status(resource).path("conditions").spliterator(), false)
                .filter(condition -> "Ready".equals(condition.path("type").asText())).findFirst();
    }

    /** When Ready last changed: a transition written in between (False and back) would move it. */
    private static String readySince(String resource) {
        return readyCondition(resource).orElseThrow().path("lastTransitionTime").asText();
    }

    /** The generation of the resource in the document a sidecar enforces, from its {@code /config}. */
    private static Optional<Long> enforcedGeneration(JsonNode config, String kind, String name) {
        return StreamSupport.stream(config.path("config").path("resources").spliterator(), false)
                .filter(entry -> kind.equals(entry.path("kind").asText()) && name.equals(entry.path("name").asText()))
                .map(entry -> entry.path("generation").asLong()).findFirst();
    }

    private static String configUri(Pod pod) {
        return "http://" + pod.getStatus().getPodIP() + ":" + SampleApp.ADMIN_PORT + "/config";
    }

    private static JsonNode config(String uri) throws IOException, InterruptedException {
        return JSON.readTree(SampleApp.get(uri).body());
    }

    private static long percentile(List<Long> values, int percent) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }
}
