package dev.sluice.operator.breaker;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.inboundBreaker;
import static dev.sluice.operator.Resources.outboundBreaker;
import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.Resources;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CircuitBreaker reconciler against the mock API server: validated, rendered with the namespace's policies, reported. */
@EnableKubernetesMockClient(crud = true)
class CircuitBreakerReconcilerIT {
    static KubernetesClient client;
    private static SluiceOperator operator;

    @BeforeAll
    static void startOperator() {
        MockCluster.registerCrds(client);
        operator = SluiceOperator.start(client, OperatorSettings.forTests(), Clock.systemUTC());
    }

    @AfterAll
    static void stopOperator() {
        operator.close();
    }

    @Test
    void aValidBreakerIsRenderedAndReady() throws Exception {
        String ns = "breakers";
        MockCluster.createPod(client, ns, "web-1", "web");
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).build()).create();
        client.resource(breaker(ns, "inbound", inboundBreaker())).create();
        client.resource(breaker(ns, "payments", outboundBreaker("payments", 15001))).create();

        awaitAtMost().untilAsserted(() -> {
            ResourceStatus status = status(ns, "inbound");
            assertThat(Conditions.find(status.conditions(), Conditions.ACCEPTED).orElseThrow().getStatus()).isEqualTo("True");
            assertThat(Conditions.find(status.conditions(), Conditions.READY).orElseThrow()).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("True");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_RENDERED);
            });
            assertThat(status.selectedPods()).isEqualTo(1);
            assertThat(status.configMap()).isEqualTo(SidecarConfigMap.NAME);
            assertThat(status.notYetEnforced()).isEmpty();
            SidecarConfig document = document(ns);
            assertThat(document.policies()).hasSize(1);
            assertThat(document.breakers()).extracting(BreakerConfig::name).containsExactly("inbound", "payments");
            assertThat(document.breakers().get(0).timeout()).isEqualTo("5s");
            assertThat(document.breakers().get(1).target()).isEqualTo(BreakerTargetType.Outbound);
            assertThat(document.breakers().get(1).route().localPort()).isEqualTo(15001);
            assertThat(configMap(ns).getMetadata().getOwnerReferences()).hasSize(3);
        });

        client.resources(CircuitBreaker.class).inNamespace(ns).withName("payments").delete();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).breakers()).extracting(BreakerConfig::name).containsExactly("inbound"));
    }

    @Test
    void aBreakerAloneHasItsOwnConfigMapAndTakesItAwayWhenDeleted() throws Exception {
        String ns = "lonely-breaker";
        client.resource(breaker(ns, "inbound", inboundBreaker())).create();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).breakers()).hasSize(1));

        client.resources(CircuitBreaker.class).inNamespace(ns).withName("inbound").delete();

        awaitAtMost().untilAsserted(() -> assertThat(configMap(ns)).isNull());
    }

    @Test
    void aSecondBreakerOnTheSameRouteIsRefused() {
        String ns = "route-conflict";
        client.resource(breaker(ns, "a", outboundBreaker("payments", 15001))).create();
        client.resource(breaker(ns, "b", outboundBreaker("payments", 15002))).create();

        awaitAtMost().untilAsserted(() -> {
            assertThat(Conditions.find(status(ns, "a").conditions(), Conditions.READY).orElseThrow().getStatus()).isEqualTo("True");
            assertThat(Conditions.find(status(ns, "b").conditions(), Conditions.READY).orElseThrow()).satisfies(ready -> {
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
                assertThat(ready.getMessage()).startsWith("spec.target.route.name:");
            });
            assertThat(document(ns).breakers()).extracting(BreakerConfig::name).containsExactly("a");
        });
    }

    @Test
    void anInvalidBreakerGetsInvalidSpecAndAWarningEvent() {
        String ns = "bad-breakers";
        CircuitBreakerSpec outboundWithoutRoute = Resources.breakerSpec(BreakerConfig.builder().target(BreakerTargetType.Outbound).build());
        client.resource(breaker(ns, "payments", outboundWithoutRoute)).create();

        awaitAtMost().untilAsserted(() -> {
            ResourceStatus status = status(ns, "payments");
            assertThat(Conditions.find(status.conditions(), Conditions.READY).orElseThrow()).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
                assertThat(ready.getMessage()).startsWith("spec.target.route:");
            });
            assertThat(MockCluster.events(client, ns, "payments", Conditions.REASON_INVALID_SPEC)).singleElement()
                    .satisfies(event -> assertThat(event.getType()).isEqualTo("Warning"));
        });
    }

    private static ConditionFactory awaitAtMost() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions();
    }

    private static ResourceStatus status(String namespace, String name) {
        return client.resources(CircuitBreaker.class).inNamespace(namespace).withName(name).get().getStatus();
    }

    private static ConfigMap configMap(String namespace) {
        return client.configMaps().inNamespace(namespace).withName(SidecarConfigMap.NAME).get();
    }

    private static SidecarConfig document(String namespace) throws Exception {
        ConfigMap configMap = configMap(namespace);
        assertThat(configMap).as("ConfigMap " + namespace + "/" + SidecarConfigMap.NAME).isNotNull();
        return ConfigLoader.parse(configMap.getData().get(SidecarConfigMap.KEY));
    }
}
