package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.render.SidecarConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator, running in this JVM against the real API server: it reconciles the resources of
 * {@code examples/} into the sidecar ConfigMap and their status, and a sidecar process loading that
 * ConfigMap enforces what the resource says, following edits of the resource.
 */
@ExtendWith(ClusterExtension.class)
class OperatorE2E {
    private static final Duration RECONCILED = Duration.ofSeconds(60);
    private static final String SHOP = "shop";
    private static final String ORDERS = "orders";

    static TestCluster cluster;
    static SluiceOperator operator;

    @TempDir
    Path directory;

    @BeforeAll
    static void startOperator(TestCluster testCluster) {
        cluster = testCluster;
        cluster.createNamespace(SHOP);
        cluster.createNamespace(ORDERS);
        OperatorSettings settings = OperatorSettings.parse(
                new String[] {"--namespaces=" + SHOP + "," + ORDERS, "--http-port=0", "--leader-election=false"}, Map.of());
        operator = SluiceOperator.start(cluster.client(), settings, Clock.systemUTC());
    }

    @AfterAll
    static void stopOperator() {
        if (operator != null) {
            operator.close();
        }
    }

    @Test
    void reconcilesTheExamplesIntoTheConfigMapAndStatus() {
        createPod(SHOP, "shop-0", Map.of("app", "shop"));
        createPod(SHOP, "shop-1", Map.of("app", "shop", "tier", "web"));
        createPod(SHOP, "billing-0", Map.of("app", "billing"));

        cluster.kubectl().run("apply", "-n", SHOP,
                "-f", TestCluster.path("examples/ratelimitpolicy.yaml").toString(),
                "-f", TestCluster.path("examples/circuitbreaker.yaml").toString()).orThrow();

        Kubectl.Result ready = cluster.kubectl().run("wait", "-n", SHOP, "--for=condition=Ready", "--timeout=60s", "rlp/shop-api");
        assertThat(ready.exitCode()).as(ready.toString()).isZero();
        assertThat(ready.stdout()).contains("ratelimitpolicy.sluice.dev/shop-api condition met");

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
        assertThat(jsonPath(SHOP, "cb/payments-api", "{.status.conditions[?(@.type==\"Ready\")].reason}")).isNotEmpty();
        String table = cluster.kubectl().run("get", "sluice", "-n", SHOP).orThrow().stdout();
        assertThat(table).containsPattern("ratelimitpolicy.sluice.dev/shop-api\\s.*True");

        createPod(SHOP, "shop-2", Map.of("app", "shop"));
        await("a new pod counted").atMost(RECONCILED)
                .untilAsserted(() -> assertThat(jsonPath(SHOP, "rlp/shop-api", "{.status.selectedPods}")).isEqualTo("3"));
    }

    @Test
    void aSidecarProcessEnforcesTheRenderedConfigAndFollowsEdits() throws Exception {
        createPod(ORDERS, "orders-0", Map.of("app", "orders"));
        cluster.kubectl().runWithInput(ordersPolicy(3), "apply", "-n", ORDERS, "-f", "-").orThrow();
        cluster.kubectl().run("wait", "-n", ORDERS, "--for=condition=Ready", "--timeout=60s", "rlp/orders").orThrow();

        ConfigMap first = renderedConfigMap(null);
        Path config = directory.resolve("config/sidecar.yaml");
        Files.createDirectories(config.getParent());
        mount(first, config);
        Path podLabels = Files.writeString(directory.resolve("labels"), "app=\"orders\"\npod-template-hash=\"7d4f\"\n");

        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();
        Path log = TestCluster.path("e2e/target/sidecar-" + ProcessHandle.current().pid() + ".log");
        try (SidecarProcess sidecar = SidecarProcess.start(config, podLabels,
                URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()), log)) {
            assertThat(loadedGeneration(sidecar)).isEqualTo(generation(first));
            assertThat(statuses(sidecar, "/orders/1", 4)).containsExactly(200, 200, 200, 429);
            assertThat(sidecar.get("/health").statusCode()).as("a path no rule matches").isEqualTo(200);

            cluster.kubectl().runWithInput(ordersPolicy(5), "apply", "-n", ORDERS, "-f", "-").orThrow();
            ConfigMap second = renderedConfigMap(generation(first));
            assertThat(second.getData().get(SidecarConfigMap.KEY)).contains("requests: 5");
            mount(second, config);
            await("sidecar loads generation " + generation(second)).atMost(RECONCILED)
                    .until(() -> generation(second).equals(loadedGeneration(sidecar)));

            assertThat(statuses(sidecar, "/orders/2", 6)).containsExactly(200, 200, 200, 200, 200, 429);
            assertThat(sidecar.admin("/readyz").statusCode()).isEqualTo(200);
        } finally {
            upstream.stop(0);
        }
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

    /** What the kubelet does for a ConfigMap volume: the new content replaces the file in one step. */
    private static void mount(ConfigMap configMap, Path file) throws IOException {
        Path staged = Files.writeString(file.resolveSibling(".staged"), configMap.getData().get(SidecarConfigMap.KEY));
        Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String generation(ConfigMap configMap) {
        return configMap.getMetadata().getAnnotations().get(SidecarConfigMap.GENERATION_ANNOTATION);
    }

    private static String loadedGeneration(SidecarProcess sidecar) throws IOException {
        JsonNode config = new ObjectMapper().readTree(sidecar.admin("/config").body());
        return config.path("generation").asText();
    }

    private static List<Integer> statuses(SidecarProcess sidecar, String path, int requests) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            statuses.add(sidecar.get(path).statusCode());
        }
        return statuses;
    }

    private static String jsonPath(String namespace, String resource, String path) {
        return cluster.kubectl().run("get", "-n", namespace, resource, "-o", "jsonpath=" + path).orThrow().stdout();
    }

    /** A Pod object only: no kubelet runs here, so it stays Pending, which is enough to be selected. */
    private static void createPod(String namespace, String name, Map<String, String> labels) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("registry.example/app:1").endContainer().endSpec()
                .build();
        cluster.client().pods().inNamespace(namespace).resource(pod).create();
    }
}
