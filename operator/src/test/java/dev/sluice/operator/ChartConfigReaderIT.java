package dev.sluice.operator;

import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.ChartUninstallIT.Call;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.render.ConfigReaderRbac;
import dev.sluice.operator.render.NamespaceConfigWriter;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.render.SidecarConfigRenderer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart's RBAC for the Roles and RoleBindings {@value ConfigReaderRbac#NAME}: the operator's rules in a watched
 * namespace, as charts/sluice renders them, allow every call the {@link NamespaceConfigWriter} makes for them on the
 * mock API server (create, put back, a binding made again, delete), every verb granted on them is used, and the
 * operator holds every permission the Role grants, without which the API server refuses to create it (no escalation).
 */
@EnableKubernetesMockClient(crud = true)
class ChartConfigReaderIT {
    private static final String NAMESPACE = "sluice-system";
    private static final String WATCHED = "shop";
    private static final String WRITER_AGENT = "sluice-operator-under-test";
    private static final Set<String> RBAC_RESOURCES = Set.of("roles", "rolebindings");

    KubernetesClient client;
    KubernetesMockServer server;

    @ParameterizedTest
    @ValueSource(strings = {"", "watchNamespaces={shop,other}"})
    void theOperatorMayKeepTheConfigReadersAndHoldsWhatTheyGrant(String values) throws InterruptedException {
        List<PolicyRule> rules = operatorRulesIn(WATCHED, values);
        MockCluster.registerCrds(client);
        RateLimitPolicy api = client.resource(Resources.policy(WATCHED, "api").rule(rule("global", 100, "1s")).build()).create();
        RateLimitPolicy checkout = client.resource(Resources.policy(WATCHED, "checkout").rule(rule("global", 10, "1s")).build()).create();
        server.clearExpectations();
        List<Call> calls = new ArrayList<>();

        try (KubernetesClient operator = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(WRITER_AGENT).build()).build()) {
            NamespaceConfigWriter writer = new NamespaceConfigWriter(operator, new SidecarConfigRenderer.DocumentDefaults(List.of(), null),
                    new OperatorMetrics(new SimpleMeterRegistry()));
            writer.write(WATCHED, List.of(api), List.of(), List.of());
            RoleBinding binding = client.rbac().roleBindings().inNamespace(WATCHED).withName(ConfigReaderRbac.NAME).get();
            // hand edits of both, put back at the next write
            client.resource(new RoleBindingBuilder(binding).editMetadata().withResourceVersion(null).endMetadata()
                    .editFirstSubject().withName("system:authenticated").endSubject().build()).update();
            Role role = client.rbac().roles().inNamespace(WATCHED).withName(ConfigReaderRbac.NAME).get();
            client.resource(new RoleBuilder(role).editMetadata().withResourceVersion(null).endMetadata()
                    .editFirstRule().withResourceNames().endRule().build()).update();
            writer.write(WATCHED, List.of(api, checkout), List.of(), List.of());
            // a binding to another role: made again, since its roleRef cannot change
            client.resource(client.rbac().roleBindings().inNamespace(WATCHED).withName(ConfigReaderRbac.NAME).get()).delete();
            client.resource(new RoleBindingBuilder(binding).editMetadata().withResourceVersion(null).endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view").build()).create();
            writer.write(WATCHED, List.of(api), List.of(), List.of());
            writer.write(WATCHED, List.of(), List.of(), List.of());
        }
        for (RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS); request != null; request = server.takeRequest(1, TimeUnit.SECONDS)) {
            if (WRITER_AGENT.equals(request.getHeader("User-Agent"))) {
                calls.add(Call.of(request.getMethod(), request.getPath()));
            }
        }

        assertThat(calls).as("the writer's calls").isNotEmpty()
                .allSatisfy(call -> assertThat(rules).as(call + " allowed").anySatisfy(rule -> assertThat(allows(rule, call)).isTrue()));
        Set<String> granted = new TreeSet<>();
        rules.stream().filter(rule -> rule.getApiGroups().contains(ConfigReaderRbac.RBAC_GROUP))
                .forEach(rule -> rule.getResources().stream().filter(RBAC_RESOURCES::contains)
                        .forEach(resource -> rule.getVerbs().forEach(verb -> granted.add(resource + ":" + verb))));
        Set<String> used = new TreeSet<>();
        calls.stream().filter(call -> RBAC_RESOURCES.contains(call.resource())).forEach(call -> used.add(call.resource() + ":" + call.verb()));
        assertThat(granted).as("granted on roles and rolebindings, and used").isEqualTo(used);

        ConfigMap owner = new ConfigMap();
        owner.setMetadata(new ObjectMetaBuilder().withNamespace(WATCHED).withName(SidecarConfigMap.NAME)
                .withUid("uid").build());
        for (PolicyRule granting : ConfigReaderRbac.role(owner).getRules()) {
            for (String verb : granting.getVerbs()) {
                Call call = new Call(verb, "", "configmaps", WATCHED, SidecarConfigMap.NAME);
                assertThat(rules).as("the operator holds " + call + ", which the Role grants").anySatisfy(rule -> assertThat(allows(rule, call)).isTrue());
            }
        }
    }

    /** The rules the operator's ServiceAccount holds in {@code namespace}: bound cluster-wide, or there by a RoleBinding. */
    private static List<PolicyRule> operatorRulesIn(String namespace, String values) {
        List<HasMetadata> objects = values.isEmpty() ? Helm.render(NAMESPACE, "templates/rbac.yaml")
                : Helm.render(NAMESPACE, "templates/rbac.yaml", "--set", values);
        List<String> bound = new ArrayList<>();
        for (HasMetadata object : objects) {
            if (object instanceof ClusterRoleBinding binding) {
                bound.add(binding.getRoleRef().getName());
            } else if (object instanceof RoleBinding binding && namespace.equals(binding.getMetadata().getNamespace())
                    && binding.getRoleRef().getKind().equals("ClusterRole")) {
                bound.add(binding.getRoleRef().getName());
            }
        }
        return objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .filter(role -> bound.contains(role.getMetadata().getName())).flatMap(role -> role.getRules().stream()).toList();
    }

    private static boolean allows(PolicyRule rule, Call call) {
        return rule.getApiGroups().contains(call.group()) && rule.getResources().contains(call.resource()) && rule.getVerbs().contains(call.verb())
                && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty() || rule.getResourceNames().contains(call.name()));
    }
}
