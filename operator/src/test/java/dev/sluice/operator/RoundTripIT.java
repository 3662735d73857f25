package dev.sluice.operator;

import static dev.sluice.operator.Resources.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.MatchConfig;
import dev.sluice.api.config.PathMatch;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarSettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip: a RateLimitPolicy applied to the (mock) cluster, the ConfigMap the operator renders
 * for it written to a file, and a real sidecar on loopback, loading that file, enforcing what the
 * resource says in front of a real upstream.
 */
@EnableKubernetesMockClient(crud = true)
class RoundTripIT {
    static KubernetesClient client;

    @TempDir
    Path directory;

    @Test
    void theRenderedConfigMapEnforcesTheResourcesLimits() throws Exception {
        MockCluster.registerCrds(client);
        RuleConfig threePerMinute = new RuleConfig("orders", new MatchConfig(PathMatch.prefix("/orders"), List.of(), List.of()),
                List.of(), null, null, null, List.of(LimitConfig.of(3, "1m")), null, null, null);
        client.resource(policy("shop", "checkout").selecting("app", "web").rule(threePerMinute).build()).create();

        AtomicReference<ConfigMap> rendered = new AtomicReference<>();
        try (SluiceOperator operator = SluiceOperator.start(client, OperatorSettings.forTests(), Clock.systemUTC())) {
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                rendered.set(client.configMaps().inNamespace("shop").withName(SidecarConfigMap.NAME).get());
                return rendered.get() != null;
            });
        }
        Path configFile = Files.writeString(directory.resolve("sidecar.yaml"), rendered.get().getData().get(SidecarConfigMap.KEY));
        Path podLabels = Files.writeString(directory.resolve("labels"), "app=\"web\"\npod-template-hash=\"abc\"\n");

        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();
        SidecarSettings settings = SidecarSettings.loopback(configFile, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()))
                .withPodLabels(podLabels);
        try (Sidecar sidecar = new Sidecar(settings).start()) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            List<Integer> orders = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                orders.add(get(http, sidecar.port(), "/orders/" + i).statusCode());
            }
            int unmatched = get(http, sidecar.port(), "/health").statusCode();
            String config = get(http, sidecar.adminPort(), "/config").body();

            assertThat(orders).containsExactly(200, 200, 200, 429);
            assertThat(unmatched).isEqualTo(200);
            JsonNode loaded = ConfigLoader.json().readTree(config);
            assertThat(loaded.path("generation").asText())
                    .isEqualTo(rendered.get().getMetadata().getAnnotations().get(SidecarConfigMap.GENERATION_ANNOTATION));
            assertThat(loaded.path("appliedPolicies")).extracting(JsonNode::asText).containsExactly("shop/checkout");
        } finally {
            upstream.stop(0);
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
