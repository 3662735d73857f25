package dev.sluice.operator.render;

import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.Resources;
import dev.sluice.operator.monitoring.OperatorMetrics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The writer's Role and RoleBinding {@value ConfigReaderRbac#NAME} against the mock API server: made with the
 * ConfigMap, put back at the next write after a hand edit, made for a ConfigMap an older operator wrote,
 * never blocking the ConfigMap, deleted with it.
 */
@EnableKubernetesMockClient(crud = true)
class NamespaceConfigWriterIT {
    private static final String NS = "shop";

    KubernetesClient client;
    private NamespaceConfigWriter writer;

    @BeforeEach
    void cluster() {
        MockCluster.registerCrds(client);
        writer = newWriter();
    }

    @Test
    void theFirstWriteLetsTheNamespacesServiceAccountsReadAndWatchTheConfigMapAndNothingElse() {
        write(policy("api", 100));

        ConfigMap configMap = configMap();
        Role role = role();
        assertThat(role.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sluice");
        assertThat(role.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("configmaps");
            assertThat(rule.getResourceNames()).containsExactly("sluice-config");
            assertThat(rule.getVerbs()).containsExactly("get", "list", "watch");
        });
        RoleBinding binding = binding();
        assertThat(binding.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sluice");
        assertThat(binding.getRoleRef()).isEqualTo(new RoleRef("rbac.authorization.k8s.io", "Role", "sluice-config-reader"));
        assertThat(binding.getSubjects()).containsExactly(new Subject("rbac.authorization.k8s.io", "Group", "system:serviceaccounts:shop", null));
        for (var metadata : List.of(role.getMetadata(), binding.getMetadata())) {
            assertThat(metadata.getOwnerReferences()).as("they go with the ConfigMap").singleElement().satisfies(owner -> {
                assertThat(owner.getKind()).isEqualTo("ConfigMap");
                assertThat(owner.getName()).isEqualTo("sluice-config");
                assertThat(owner.getUid()).isEqualTo(configMap.getMetadata().getUid());
            });
        }
    }

    @Test
    void aHandEditIsPutBackAtTheNextWriteAndABindingToAnotherRoleIsMadeAgain() {
        RateLimitPolicy policy = policy("api", 100);
        write(policy);
        client.resource(new RoleBuilder(role()).withRules(granting("secrets"), granting("configmaps")).build()).update();
        client.resource(binding()).delete();
        client.resource(new RoleBindingBuilder().withNewMetadata().withName("sluice-config-reader").withNamespace(NS)
                .withLabels(Map.of("app.kubernetes.io/managed-by", "sluice")).endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "edit")
                .withSubjects(new Subject("rbac.authorization.k8s.io", "Group", "system:serviceaccounts", null)).build()).create();

        write(policy, policy("checkout", 50));

        assertThat(role().getRules()).singleElement().satisfies(rule -> assertThat(rule.getResourceNames()).containsExactly("sluice-config"));
        assertThat(binding().getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding().getRoleRef().getName()).isEqualTo("sluice-config-reader");
        assertThat(binding().getSubjects()).extracting(Subject::getName).containsExactly("system:serviceaccounts:shop");
        assertThat(binding().getMetadata().getOwnerReferences()).extracting(owner -> owner.getUid())
                .containsExactly(configMap().getMetadata().getUid());
    }

    @Test
    void aConfigMapAnOlderOperatorWroteGetsItsRoleAtTheFirstReconciliationThoughItIsUpToDate() {
        RateLimitPolicy policy = policy("api", 100);
        write(policy);
        client.resource(binding()).delete();
        client.resource(role()).delete();
        String resourceVersion = configMap().getMetadata().getResourceVersion();

        newWriter().write(NS, List.of(policy), List.of(), List.of());

        assertThat(configMap().getMetadata().getResourceVersion()).as("the ConfigMap was up to date").isEqualTo(resourceVersion);
        assertThat(role()).isNotNull();
        assertThat(binding()).isNotNull();
    }

    @Test
    void aRoleOfSomeoneElseIsLeftAloneWithoutHoldingBackTheConfigMapAndTheWriteIsRetriedOnceItIsFreed() {
        Role theirs = client.resource(new RoleBuilder().withNewMetadata().withName("sluice-config-reader").withNamespace(NS).endMetadata()
                .withRules(granting("secrets")).build()).create();
        RateLimitPolicy policy = policy("api", 100);

        write(policy);

        assertThat(configMap()).as("the ConfigMap is written all the same").isNotNull();
        assertThat(role().getRules()).extracting(PolicyRule::getResources).containsExactly(List.of("secrets"));
        assertThat(binding()).as("no binding to a Role Sluice does not manage").isNull();

        client.resource(new RoleBuilder(theirs).editMetadata().withResourceVersion(null).addToLabels("app.kubernetes.io/managed-by", "sluice")
                .endMetadata().build()).update();
        write(policy);

        assertThat(role().getRules()).singleElement().satisfies(rule -> assertThat(rule.getResources()).containsExactly("configmaps"));
        assertThat(binding()).isNotNull();
    }

    @Test
    void theRoleAndBindingGoWithTheConfigMapAndThoseOfOthersStay() {
        write(policy("api", 100));
        client.resource(new RoleBuilder().withNewMetadata().withName("someone-elses").withNamespace(NS).endMetadata().withRules(granting("configmaps"))
                .build()).create();

        writer.write(NS, List.of(), List.of(), List.of());

        assertThat(configMap()).isNull();
        assertThat(role()).isNull();
        assertThat(binding()).isNull();
        assertThat(client.rbac().roles().inNamespace(NS).withName("someone-elses").get()).isNotNull();
    }

    private NamespaceConfigWriter newWriter() {
        return new NamespaceConfigWriter(client, new SidecarConfigRenderer.DocumentDefaults(List.of(), null),
                new OperatorMetrics(new SimpleMeterRegistry()));
    }

    private RateLimitPolicy policy(String name, long requests) {
        return client.resource(Resources.policy(NS, name).rule(rule("global", requests, "1s")).build()).create();
    }

    private void write(RateLimitPolicy... policies) {
        writer.write(NS, List.of(policies), List.of(), List.of());
    }

    private static PolicyRule granting(String resource) {
        return new PolicyRuleBuilder().withApiGroups("").withResources(resource).withVerbs("get").build();
    }

    private ConfigMap configMap() {
        return client.configMaps().inNamespace(NS).withName(SidecarConfigMap.NAME).get();
    }

    private Role role() {
        return client.rbac().roles().inNamespace(NS).withName(ConfigReaderRbac.NAME).get();
    }

    private RoleBinding binding() {
        return client.rbac().roleBindings().inNamespace(NS).withName(ConfigReaderRbac.NAME).get();
    }
}
