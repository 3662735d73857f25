package dev.sluice.operator.ratelimit;

import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The RateLimitPolicy reconciler against the Fabric8 mock API server in CRUD mode; each test works in its own namespace. */
@EnableKubernetesMockClient(crud = true)
class RateLimitPolicyReconcilerIT {
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
    void createRendersTheConfigMapAndReportsStatusWithSelectedPods() throws Exception {
        String ns = "create";
        MockCluster.createPod(client, ns, "web-1", "web");
        MockCluster.createPod(client, ns, "web-2", "web");
        MockCluster.createPod(client, ns, "db-1", "db");

        client.resource(policy(ns, "api").selecting("app", "web").rule(rule("global", 100, "1s")).build()).create();

        awaitAtMost().untilAsserted(() -> {
            SidecarConfig document = document(ns);
            assertThat(document.generation()).isEqualTo(1L);
            assertThat(document.policies()).singleElement().satisfies(policy -> {
                assertThat(policy.qualifiedName()).isEqualTo("create/api");
                assertThat(policy.rules().get(0).limits()).containsExactly(LimitConfig.of(100, "1s"));
            });
            ResourceStatus status = status(ns, "api");
            assertThat(status.selectedPods()).isEqualTo(2);
            assertThat(status.configMap()).isEqualTo(SidecarConfigMap.NAME);
            assertThat(status.observedGeneration()).isEqualTo(1L);
            assertThat(ready(ns, "api")).satisfies(ready -> {
                assertThat(ready.getStatus()).isEqualTo("True");
                assertThat(ready.getReason()).isEqualTo(Conditions.REASON_RENDERED);
                assertThat(ready.getLastTransitionTime()).isNotNull();
            });
            assertThat(MockCluster.events(client, ns, "api", Conditions.REASON_RENDERED)).hasSize(1);
        });
        ConfigMap configMap = client.configMaps().inNamespace(ns).withName(SidecarConfigMap.NAME).get();
        assertThat(configMap.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sluice");
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getName()).isEqualTo("api"));

        MockCluster.createPod(client, ns, "web-3", "web");
        awaitAtMost().untilAsserted(() -> assertThat(status(ns, "api").selectedPods()).isEqualTo(3));
    }

    @Test
    void updateRendersTheNewSpecUnderANewGeneration() throws Exception {
        String ns = "update";
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).generation()).isEqualTo(1L));

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api")
                .edit(policy -> policy(ns, "api").rule(rule("global", 20, "1s")).rule(rule("hourly", 1000, "1h")).build());

        awaitAtMost().untilAsserted(() -> {
            SidecarConfig document = document(ns);
            assertThat(document.generation()).isEqualTo(2L);
            assertThat(document.policies().get(0).rules()).hasSize(2);
            assertThat(document.policies().get(0).rules().get(0).limits()).containsExactly(LimitConfig.of(20, "1s"));
            assertThat(status(ns, "api").observedGeneration()).isEqualTo(2L);
        });
    }

    @Test
    void anInvalidSpecIsReportedAndTheLastValidVersionStaysEnforced() throws Exception {
        String ns = "invalid";
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(ready(ns, "api").getStatus()).isEqualTo("True"));

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api")
                .edit(policy -> policy(ns, "api").rule(rule("global", 100, "1 second")).build());

        awaitAtMost().untilAsserted(() -> {
            Condition ready = ready(ns, "api");
            assertThat(ready.getStatus()).isEqualTo("False");
            assertThat(ready.getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
            assertThat(ready.getMessage()).contains("spec.rules[0].limits[0].period", "keep enforcing the last valid version");
            assertThat(status(ns, "api").observedGeneration()).isEqualTo(2L);
            assertThat(MockCluster.events(client, ns, "api", Conditions.REASON_INVALID_SPEC)).singleElement()
                    .satisfies(event -> assertThat(event.getType()).isEqualTo("Warning"));
        });
        SidecarConfig document = document(ns);
        assertThat(document.generation()).isEqualTo(1L);
        assertThat(document.policies().get(0).rules().get(0).limits()).containsExactly(LimitConfig.of(100, "1s"));

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api")
                .edit(policy -> policy(ns, "api").rule(rule("global", 50, "1s")).build());
        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(ns, "api").getStatus()).isEqualTo("True");
            assertThat(document(ns).policies().get(0).rules().get(0).limits()).containsExactly(LimitConfig.of(50, "1s"));
        });
    }

    @Test
    void deletingAPolicyRemovesItAndDeletingTheLastRemovesTheConfigMap() throws Exception {
        String ns = "delete";
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).build()).create();
        client.resource(policy(ns, "admin").rule(rule("global", 10, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).policies()).extracting(PolicyConfig::name)
                .containsExactly("admin", "api"));

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("admin").delete();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).policies()).extracting(PolicyConfig::name).containsExactly("api"));

        client.resources(RateLimitPolicy.class).inNamespace(ns).withName("api").delete();
        awaitAtMost().untilAsserted(() -> {
            assertThat(client.configMaps().inNamespace(ns).withName(SidecarConfigMap.NAME).get()).isNull();
            assertThat(client.resources(RateLimitPolicy.class).inNamespace(ns).list().getItems()).isEmpty();
        });
    }

    @Test
    void eachNamespaceGetsItsOwnDocument() throws Exception {
        client.resource(policy("team-a", "api").rule(rule("global", 100, "1s")).build()).create();
        client.resource(policy("team-b", "api").rule(rule("global", 5, "1s")).build()).create();

        awaitAtMost().untilAsserted(() -> {
            assertThat(document("team-a").policies()).singleElement()
                    .satisfies(policy -> assertThat(policy.qualifiedName()).isEqualTo("team-a/api"));
            assertThat(document("team-b").policies()).singleElement()
                    .satisfies(policy -> assertThat(policy.rules().get(0).limits()).containsExactly(LimitConfig.of(5, "1s")));
        });
    }

    @Test
    void fieldsNotYetEnforcedAreReported() throws Exception {
        String ns = "partial";
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).scope(Scope.Global)
                .backpressure(new BackpressureConfig(new ConcurrencyConfig(50, 10, "100ms"), null, null)).build()).create();

        awaitAtMost().untilAsserted(() -> {
            assertThat(ready(ns, "api").getReason()).isEqualTo(Conditions.REASON_PARTIALLY_ENFORCED);
            assertThat(status(ns, "api").notYetEnforced()).isNotEmpty().noneMatch(field -> field.startsWith("spec.backpressure"));
            assertThat(document(ns).policies()).hasSize(1);
            assertThat(document(ns).policies().get(0).backpressure().concurrency().maxConcurrent()).isEqualTo(50);
            // No pod matches yet: a Global policy still renders a share of at least one replica.
            assertThat(document(ns).policies().get(0).replicas()).isEqualTo(1);
        });
    }

    @Test
    void aConfigMapDeletedByHandIsRestored() throws Exception {
        String ns = "restore";
        client.resource(policy(ns, "api").rule(rule("global", 100, "1s")).build()).create();
        awaitAtMost().untilAsserted(() -> assertThat(document(ns).policies()).hasSize(1));

        client.configMaps().inNamespace(ns).withName(SidecarConfigMap.NAME).delete();

        awaitAtMost().untilAsserted(() -> assertThat(document(ns).policies()).hasSize(1));
    }

    private static ConditionFactory awaitAtMost() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions();
    }

    private static SidecarConfig document(String namespace) throws Exception {
        ConfigMap configMap = client.configMaps().inNamespace(namespace).withName(SidecarConfigMap.NAME).get();
        assertThat(configMap).as("ConfigMap " + namespace + "/" + SidecarConfigMap.NAME).isNotNull();
        return ConfigLoader.parse(configMap.getData().get(SidecarConfigMap.KEY));
    }

    private static ResourceStatus status(String namespace, String name) {
        ResourceStatus status = client.resources(RateLimitPolicy.class).inNamespace(namespace).withName(name).get().getStatus();
        assertThat(status).as("status of " + namespace + "/" + name).isNotNull();
        return status;
    }

    private static Condition ready(String namespace, String name) {
        List<Condition> conditions = status(namespace, name).conditions();
        return Conditions.find(conditions, Conditions.READY).orElseThrow();
    }
}
