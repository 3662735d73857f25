package dev.sluice.operator.breaker;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.inboundBreaker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CircuitBreaker reconciler against the mock API server: validated, reported as not yet enforced, never rendered. */
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
    void aValidBreakerIsAcceptedAndReportedAsNotYetEnforced() {
        String ns = "breakers";
        MockCluster.createPod(client, ns, "web-1", "web");
        client.resource(breaker(ns, "inbound", inboundBreaker())).create();

        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            ResourceStatus status = client.resources(CircuitBreaker.class).inNamespace(ns).withName("inbound").get().getStatus();
            assertThat(Conditions.find(status.conditions(), Conditions.ACCEPTED).orElseThrow().getStatus()).isEqualTo("True");
            assertThat(Conditions.find(status.conditions(), Conditions.READY).orElseThrow())
                    .satisfies(ready -> assertThat(ready.getReason()).isEqualTo(Conditions.REASON_NOT_YET_ENFORCED));
            assertThat(status.selectedPods()).isEqualTo(1);
            assertThat(status.notYetEnforced()).containsExactly(CircuitBreakerStatus.NOT_ENFORCED);
            assertThat(MockCluster.events(client, ns, "inbound", Conditions.REASON_NOT_YET_ENFORCED)).hasSize(1);
        });
        assertThat(client.configMaps().inNamespace(ns).withName(SidecarConfigMap.NAME).get()).isNull();
    }

    @Test
    void anInvalidBreakerGetsInvalidSpecAndAWarningEvent() {
        String ns = "bad-breakers";
        CircuitBreakerSpec outboundWithoutRoute = new CircuitBreakerSpec(null, new BreakerTarget(BreakerTarget.TargetType.Outbound, null),
                null, null, null, null, null, null, null, null, null, null, null);
        client.resource(breaker(ns, "payments", outboundWithoutRoute)).create();

        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            ResourceStatus status = client.resources(CircuitBreaker.class).inNamespace(ns).withName("payments").get().getStatus();
            assertThat(Conditions.find(status.conditions(), Conditions.READY).orElseThrow()).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
                assertThat(ready.getMessage()).startsWith("spec.target.route:");
            });
            assertThat(MockCluster.events(client, ns, "payments", Conditions.REASON_INVALID_SPEC)).singleElement()
                    .satisfies(event -> assertThat(event.getType()).isEqualTo("Warning"));
        });
    }
}
