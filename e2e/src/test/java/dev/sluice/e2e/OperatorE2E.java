package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.operator.render.SidecarConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator, in its pod from its image with the permissions {@code charts/sluice} grants: it
 * reconciles the resources of {@code examples/} into the sidecar ConfigMap and their status, counting
 * the pods they select, and a sidecar from its image in a pod, reading that ConfigMap through a
 * volume, enforces what the resource says, following edits of the resource.
 */
@ExtendWith(ClusterExtension.class)
class OperatorE2E {
    private static final Duration RECONCILED = Duration.ofSeconds(60);
    private static final String SHOP = "shop";
    private static final String ORDERS = "orders";

    static TestCluster cluster;

    @BeforeAll
    static void installOperator(TestCluster testCluster) {
        cluster = testCluster;
        cluster.createNamespace(SHOP);
        cluster.createNamespace(ORDERS);
        cluster.operator();
    }

    @Test
    void reconcilesTheExamplesIntoTheConfigMapAndStatus() {
        createPod(SHOP, "shop-0", Map.of("app", "shop"));
        createPod(SHOP, "shop-1", Map.of("app", "shop", "tier", "web"));
        createPod(SHOP, "billing-0", Map.of("app", "billing"));

        cluster.kubectl().run("apply", "-n", SHOP,
                "-f", TestCluster.path("examples/ratelimitpolicy.yaml").toString(),
                "-f", TestCluster.path("examples/circuitbreaker.yaml").toString()).orThrow();

        // Accepted, not Ready: the pods selected here run no sidecar, so nothing enforces the policy yet.
        Kubectl.Result accepted = cluster.kubectl().run("wait", "-n", SHOP, "--for=condition=Accepted", "--timeout=60s", "rlp/shop-api");
        assertThat(accepted.exitCode()).as(accepted.toString()).isZero();
        assertThat(accepted.stdout()).contains("ratelimitpolicy.sluice.dev/shop-api condition met");

        ConfigMap configMap = cluster.client().configMaps().inNamespace(SHOP).withName(SidecarConfigMap.NAME).get();
        assertThat(configMap).isNotNull();
        assertThat(configMap.getData().get(SidecarConfigMap.KEY)).contains("name: shop-api", "namespace: shop", "name: per-client", "name: daily-quota");
        assertThat(configMap.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sluice");

        await("selected pods in status").atMost(RECONCILED).untilAsserted(() -> {
            assertThat(jsonPath(SHOP, "rlp/shop-api", "{.status.selectedPods}")).isEqualTo("2");
            assertThat(jsonPath(SHOP, "cb/payments-api", "{.status.selectedPods}")).isEqualTo("2");
        });
        assertThat(jsonPath(SHOP, "rlp/shop-api", "{.status.observedGeneration}"))
                .isEqualTo(jsonPath(SHOP, "rlp/shop-api", "{.metadata.generation}"));
        await("Ready=False for the pods without a sidecar").atMost(RECONCILED).untilAsserted(() -> {
            assertThat(jsonPath(SHOP, "rlp/shop-api", "{.status.conditions[?(@.type==\"Ready\")].reason}")).isEqualTo("PodsWithoutSidecar");
            assertThat(jsonPath(SHOP, "cb/payments-api", "{.status.conditions[?(@.type==\"Ready\")].reason}")).isEqualTo("PodsWithoutSidecar");
        });
        String table = cluster.kubectl().run("get", "sluice", "-n", SHOP).orThrow().stdout();
        assertThat(table).containsPattern("ratelimitpolicy.sluice.dev/shop-api\\s.*0/2.*False");

        createPod(SHOP, "shop-2", Map.of("app", "shop"));
        await("a new pod counted").atMost(RECONCILED)
                .untilAsserted(() -> assertThat(jsonPath(SHOP, "rlp/shop-api", "{.status.selectedPods}")).isEqualTo("3"));
    }

    @Test
    void aSidecarInAPodEnforcesTheRenderedConfigAndFollowsEdits() throws Exception {
        createPod(ORDERS, "orders-0", Map.of("app", "orders"));
        cluster.kubectl().runWithInput(ordersPolicy(3), "apply", "-n", ORDERS, "-f", "-").orThrow();
        cluster.kubectl().run("wait", "-n", ORDERS, "--for=condition=Accepted", "--timeout=60s", "rlp/orders").orThrow();

        ConfigMap first = renderedConfigMap(null);
        SidecarPod sidecar = SidecarPod.start(cluster, ORDERS, "orders-web", Map.of("app", "orders"),
                List.of("/orders/1", "/orders/2", "/health"), "/health");

        assertThat(loadedGeneration(sidecar)).isEqualTo(generation(first));
        assertThat(statuses(sidecar, "/orders/1", 4)).containsExactly(200, 200, 200, 429);
        assertThat(sidecar.get("/health").statusCode()).as("a path no rule matches").isEqualTo(200);

        cluster.kubectl().runWithInput(ordersPolicy(5), "apply", "-n", ORDERS, "-f", "-").orThrow();
        ConfigMap second = renderedConfigMap(generation(first));
        assertThat(second.getData().get(SidecarConfigMap.KEY)).contains("requests: 5");
        // the kubelet brings the new ConfigMap into the pod's volume at its next sync of the pod
        await("sidecar loads generation " + generation(second)).atMost(RECONCILED.multipliedBy(2))
                .until(() -> generation(second).equals(loadedGeneration(sidecar)));

        assertThat(statuses(sidecar, "/orders/2", 6)).containsExactly(200, 200, 200, 200, 200, 429);
        assertThat(sidecar.admin("/readyz").statusCode()).isEqualTo(200);
    }

    /** Three (then five) requests per hour to /orders: no refill while the test runs, so every outcome is exact. */
    private static String ordersPolicy(int requestsPerHour) {
        return """
                apiVersion: sluice.dev/v1alpha1
                kind: RateLimitPolicy
                metadata:
                  name: orders
                spec:
                  podSelector:
                    matchLabels: {app: orders}
                  rules:
                    - name: orders
                      match:
                        path: {prefix: /orders}
                      limits:
                        - requests: %d
                          period: 1h
                """.formatted(requestsPerHour);
    }

    /** Waits for the operator's ConfigMap in ORDERS with a generation other than {@code previous}. */
    private static ConfigMap renderedConfigMap(String previous) {
        return await("ConfigMap rendered after generation " + previous).atMost(RECONCILED).until(
                () -> cluster.client().configMaps().inNamespace(ORDERS).withName(SidecarConfigMap.NAME).get(),
                configMap -> configMap != null && !generation(configMap).equals(previous));
    }

    private static String generation(ConfigMap configMap) {
        return configMap.getMetadata().getAnnotations().get(SidecarConfigMap.GENERATION_ANNOTATION);
    }

    private static String loadedGeneration(SidecarPod sidecar) throws IOException {
        JsonNode config = new ObjectMapper().readTree(sidecar.admin("/config").body());
        return config.path("generation").asText();
    }

    private static List<Integer> statuses(SidecarPod sidecar, String path, int requests) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            statuses.add(sidecar.get(path).statusCode());
        }
        return statuses;
    }

    private static String jsonPath(String namespace, String resource, String path) {
        return cluster.kubectl().run("get", "-n", namespace, resource, "-o", "jsonpath=" + path).orThrow().stdout();
    }

    /** A pod that runs (busybox sleeping, as non-root), selected by its labels. */
    private static void createPod(String namespace, String name, Map<String, String> labels) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(0L)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(65534L).endSecurityContext()
                .addNewContainer().withName("app").withImage(TestCluster.BUSYBOX).withCommand("sleep", "3600").endContainer().endSpec()
                .build();
        cluster.client().pods().inNamespace(namespace).resource(pod).create();
    }
}
