package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A changed RateLimitPolicy reaches every injected sidecar through its watch on the namespace's
 * ConfigMap, not on the kubelet's volume schedule (a minute or more): three replicas, twenty patches of
 * the limit, each timed from just before {@code kubectl patch} to the instant each sidecar reports it
 * loaded the new generation (its {@code /config} {@code loadedAt}: the pods share this machine's clock).
 */
@ExtendWith(ClusterExtension.class)
class ConfigPropagationE2E {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigPropagationE2E.class);
    private static final String NAMESPACE = "propagate";
    private static final int REPLICAS = 3;
    private static final int PATCHES = 20;
    private static final int FIRST_LIMIT = 3;
    /** What a kubelet volume sync could do too: far longer than the watch needs, so that a timeout says the watch did not work. */
    private static final Duration PATIENCE = Duration.ofSeconds(45);
    private static final ObjectMapper JSON = new ObjectMapper();

    static TestCluster cluster;

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
        cluster.kubectl().runWithInput(SampleApp.deployment("web", REPLICAS, TestCluster.BUSYBOX), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
    }

    @Test
    void aPatchedLimitIsEnforcedByEverySidecarWithinSeconds() throws Exception {
        List<Pod> pods = SampleApp.awaitReadyPods(cluster, NAMESPACE, "web", REPLICAS);
        List<String> admins = pods.stream().map(pod -> "http://" + pod.getStatus().getPodIP() + ":" + SampleApp.ADMIN_PORT + "/config").toList();
        await("every sidecar on its ConfigMap's watch").atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> admins.stream().allMatch(admin -> "WATCH".equalsIgnoreCase(config(admin).path("source").asText())));

        List<Long> slowest = new ArrayList<>();
        int limit = FIRST_LIMIT;
        for (int patch = 1; patch <= PATCHES; patch++) {
            long before = generation();
            limit = FIRST_LIMIT + patch;
            Instant patched = Instant.now();
            cluster.kubectl().run("patch", "-n", NAMESPACE, "rlp/web", "--type=json",
                    "-p", "[{\"op\":\"replace\",\"path\":\"/spec/rules/0/limits/0/requests\",\"value\":" + limit + "}]").orThrow();
            long rendered = await("the operator renders patch " + patch).atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
                    .until(ConfigPropagationE2E::generation, generation -> generation > before);
            List<Long> delays = new ArrayList<>();
            for (String admin : admins) {
                JsonNode loaded = await("generation " + rendered + " at " + admin).atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
                        .ignoreExceptions().until(() -> config(admin), config -> config.path("generation").asLong() >= rendered);
                delays.add(Duration.between(patched, Instant.parse(loaded.path("loadedAt").asText())).toMillis());
            }
            slowest.add(Collections.max(delays));
        }
        List<Long> sorted = slowest.stream().sorted().toList();
        LOG.info("from kubectl patch to all {} sidecars enforcing, over {} patches (ms): p50 {}, p99 {} (max), all {}", REPLICAS, PATCHES,
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), slowest);

        // Each pod, by its own address, enforces the last limit.
        for (Pod pod : pods) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i <= limit; i++) {
                statuses.add(SampleApp.get("http://" + pod.getStatus().getPodIP() + ":" + SampleApp.PORT + "/limited/a").statusCode());
            }
            assertThat(statuses).as("pod " + pod.getMetadata().getName()).hasSize(limit + 1)
                    .startsWith(Collections.nCopies(limit, 200).toArray(Integer[]::new)).endsWith(429);
        }
    }

    /** The generation the operator rendered into the namespace's ConfigMap. */
    private static long generation() {
        var configMap = cluster.client().configMaps().inNamespace(NAMESPACE).withName("sluice-config").get();
        return Long.parseLong(configMap.getMetadata().getAnnotations().get("sluice.dev/generation"));
    }

    /** The sidecar's /config view; unreachable or unreadable is an unchecked failure the awaits ignore. */
    private static JsonNode config(String uri) {
        try {
            return JSON.readTree(SampleApp.get(uri).body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
