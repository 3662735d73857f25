package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.uninstall.Uninstall;
import dev.sluice.operator.uninstall.UninstallFixtures;
import dev.sluice.operator.uninstall.UninstallSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart's uninstall hook (templates/uninstall.yaml) against the command it runs: every object a
 * pre-delete hook, RBAC before the Job, the Job restricted and never held by Sluice; and the command,
 * run on the mock API server with the very arguments the hook passes, calls exactly what the hook's RBAC
 * grants: each of its requests is allowed, and each verb granted is used.
 */
@EnableKubernetesMockClient(crud = true)
class ChartUninstallIT {
    private static final String NAMESPACE = "sluice-system";
    private static final String HOOK = "templates/uninstall.yaml";
    private static final String HOOK_USER = "system:serviceaccount:" + NAMESPACE + ":sluice-operator-uninstall";
    private static final String COMMAND_AGENT = "sluice-uninstall-under-test";

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void everyObjectIsAPreDeleteHookAndTheRbacComesBeforeTheJob() {
        List<HasMetadata> hook = Helm.render(NAMESPACE, HOOK);

        assertThat(hook).extracting(HasMetadata::getKind).containsExactlyInAnyOrder("ServiceAccount", "ClusterRole", "ClusterRole",
                "ClusterRoleBinding", "ClusterRoleBinding", "Role", "RoleBinding", "Job");
        for (HasMetadata object : hook) {
            assertThat(object.getMetadata().getAnnotations()).as(object.getKind() + " " + object.getMetadata().getName())
                    .containsEntry("helm.sh/hook", "pre-delete")
                    .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded");
        }
        int job = weight(only(hook, Job.class));
        for (HasMetadata object : hook) {
            if (object instanceof ServiceAccount || object instanceof ClusterRole || object instanceof Role) {
                assertThat(weight(object)).as(object.getKind() + " before the bindings and the Job").isLessThan(-5).isLessThan(job);
            } else if (object instanceof ClusterRoleBinding || object instanceof RoleBinding) {
                assertThat(weight(object)).as(object.getKind() + " before the Job").isLessThan(job);
            }
        }
        assertThat(hook.stream().flatMap(object -> rules(object).stream()))
                .as("no wildcards").allSatisfy(rule -> assertThat(rule.getVerbs().toString() + rule.getResources() + rule.getApiGroups())
                        .doesNotContain("*"));
    }

    @Test
    void theJobIsRestrictedBoundedAndNeverSelectedBySluiceOrByTheOperatorsSelector() {
        List<HasMetadata> hook = Helm.render(NAMESPACE, HOOK, "--set", "image.pullSecrets={registry}", "--set", "nodeSelector.pool=system",
                "--set", "cleanup.timeoutSeconds=300");
        Job job = only(hook, Job.class);
        Deployment operator = only(Helm.render(NAMESPACE, "templates/deployment.yaml"), Deployment.class);
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);

        assertThat(job.getMetadata().getNamespace()).as("the release's namespace, which the webhooks never select").isEqualTo(NAMESPACE);
        assertThat(job.getSpec().getBackoffLimit()).isBetween(0, 2);
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(300L);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isPositive();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getServiceAccountName()).isEqualTo("sluice-operator-uninstall");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getImagePullSecrets()).extracting(secret -> secret.getName()).containsExactly("registry");
        assertThat(pod.getNodeSelector()).containsEntry("pool", "system");
        Container operatorContainer = operator.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(operatorContainer.getImage());
        assertThat(container.getResources()).isEqualTo(operatorContainer.getResources());
        Map<String, String> selector = operator.getSpec().getSelector().getMatchLabels();
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                .as("the hook's pods are not the operator's, which the command waits to be gone").isFalse();
        assertThat(container.getArgs()).first().isEqualTo(UninstallSettings.COMMAND);
        assertThat(settings(job).stopTimeout().toSeconds()).as("the command gives up on the operator before the deadline ends it")
                .isLessThan(300);
    }

    @Test
    void theUpdateWebhookLeavesTheHooksUpdatesOutOnlyWhileTheHookIsOn() {
        assertThat(matchConditions()).contains("request.userInfo.username != '" + HOOK_USER + "'");
        assertThat(matchConditions("--set", "cleanup.enabled=false")).doesNotContain(HOOK_USER);
        Helm.Result off = Helm.run("template", "sluice", Helm.CHART.toString(), "--namespace", NAMESPACE, "--set", "cleanup.enabled=false");
        assertThat(off.exitCode()).as(off.toString()).isZero();
        assertThat(off.stdout()).doesNotContain("helm.sh/hook: pre-delete", "sluice-operator-uninstall");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "watchNamespaces={shop,batch,batch-new}"})
    void theRbacGrantsExactlyWhatTheCommandCalls(String values) throws InterruptedException {
        List<HasMetadata> hook = values.isEmpty() ? Helm.render(NAMESPACE, HOOK) : Helm.render(NAMESPACE, HOOK, "--set", values);
        UninstallSettings settings = settings(only(hook, Job.class));
        UninstallFixtures.registerCrds(client);
        UninstallFixtures.operator(client, 1);
        UninstallFixtures.resources(client);
        server.clearExpectations();
        List<Call> calls = new ArrayList<>();

        try (Watch controller = UninstallFixtures.podsGoWhenScaledToZero(client);
                KubernetesClient command = new KubernetesClientBuilder()
                        .withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(COMMAND_AGENT).build()).build()) {
            assertThat(new Uninstall(command, settings, Clock.systemUTC()).run()).isEmpty();
        }
        for (RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS); request != null; request = server.takeRequest(1, TimeUnit.SECONDS)) {
            if (COMMAND_AGENT.equals(request.getHeader("User-Agent"))) {
                calls.add(Call.of(request.getMethod(), request.getPath()));
            }
        }

        Rbac rbac = Rbac.of(hook);
        assertThat(calls).as("requests of the command").isNotEmpty()
                .allSatisfy(call -> assertThat(rbac.allows(call)).as(call + " allowed by " + rbac).isTrue());
        for (Rbac.Grant grant : rbac.grants()) {
            // The watch runs only when a pod of the operator is still there once its list is read; here it may be gone already.
            if (grant.resource().equals("pods") && grant.verb().equals("watch")) {
                continue;
            }
            assertThat(calls).as(grant + " is used").anySatisfy(call -> assertThat(grant.covers(call)).isTrue());
        }
    }

    /** The command's settings, parsed from the hook Job's arguments as the command parses them. */
    private static UninstallSettings settings(Job job) {
        List<String> args = job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        return UninstallSettings.parse(args.subList(1, args.size()).toArray(String[]::new), Map.of());
    }

    private static String matchConditions(String... args) {
        ValidatingWebhookConfiguration updates = only(Helm.render(NAMESPACE, "templates/webhooks.yaml", args), ValidatingWebhookConfiguration.class);
        return updates.getWebhooks().get(0).getMatchConditions().stream().map(MatchCondition::getExpression).collect(Collectors.joining("\n"));
    }

    private static int weight(HasMetadata object) {
        return Integer.parseInt(object.getMetadata().getAnnotations().get("helm.sh/hook-weight"));
    }

    private static List<PolicyRule> rules(HasMetadata object) {
        if (object instanceof ClusterRole role) {
            return role.getRules();
        }
        return object instanceof Role role ? role.getRules() : List.of();
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertThat(found).as(kind.getSimpleName() + " rendered").hasSize(1);
        return found.get(0);
    }

    /** A request as RBAC sees it: verb, API group, resource, namespace (null: cluster-wide) and name (null: none). */
    record Call(String verb, String group, String resource, String namespace, String name) {
        static Call of(String method, String target) {
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
            List<String> segments = Arrays.stream(path.split("/")).filter(segment -> !segment.isEmpty()).toList();
            String group = segments.get(0).equals("api") ? "" : segments.get(1);
            int i = segments.get(0).equals("api") ? 2 : 3;
            String namespace = null;
            if (segments.get(i).equals("namespaces") && segments.size() > i + 2) {
                namespace = segments.get(i + 1);
                i += 2;
            }
            String resource = segments.get(i) + (segments.size() > i + 2 ? "/" + segments.get(i + 2) : "");
            String name = segments.size() > i + 1 ? segments.get(i + 1) : null;
            String verb = switch (method) {
                case "GET" -> name != null ? "get" : Arrays.asList(query.split("&")).contains("watch=true") ? "watch" : "list";
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> name != null ? "delete" : "deletecollection";
                default -> throw new IllegalArgumentException(method + " " + target);
            };
            return new Call(verb, group, resource, namespace, name);
        }
    }

    /** The hook ServiceAccount's permissions as the chart grants them: rules bound cluster-wide, and rules bound per namespace. */
    record Rbac(List<PolicyRule> clusterWide, Map<String, List<PolicyRule>> byNamespace) {
        static Rbac of(List<HasMetadata> objects) {
            Map<String, List<PolicyRule>> clusterRoles = new HashMap<>();
            Map<String, List<PolicyRule>> roles = new HashMap<>();
            objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                    .forEach(role -> clusterRoles.put(role.getMetadata().getName(), role.getRules()));
            objects.stream().filter(Role.class::isInstance).map(Role.class::cast)
                    .forEach(role -> roles.put(role.getMetadata().getNamespace() + "/" + role.getMetadata().getName(), role.getRules()));
            List<PolicyRule> clusterWide = new ArrayList<>();
            Map<String, List<PolicyRule>> byNamespace = new HashMap<>();
            for (HasMetadata object : objects) {
                if (object instanceof ClusterRoleBinding binding && boundToTheHook(binding.getSubjects())) {
                    clusterWide.addAll(clusterRoles.get(binding.getRoleRef().getName()));
                } else if (object instanceof RoleBinding binding && boundToTheHook(binding.getSubjects())) {
                    RoleRef ref = binding.getRoleRef();
                    String namespace = binding.getMetadata().getNamespace();
                    byNamespace.computeIfAbsent(namespace, key -> new ArrayList<>()).addAll(ref.getKind().equals("ClusterRole")
                            ? clusterRoles.get(ref.getName()) : roles.get(namespace + "/" + ref.getName()));
                }
            }
            return new Rbac(clusterWide, byNamespace);
        }

        private static boolean boundToTheHook(List<Subject> subjects) {
            return subjects.stream().anyMatch(subject -> subject.getKind().equals("ServiceAccount")
                    && subject.getName().equals("sluice-operator-uninstall") && NAMESPACE.equals(subject.getNamespace()));
        }

        boolean allows(Call call) {
            if (clusterWide.stream().anyMatch(rule -> matches(rule, call))) {
                return true;
            }
            return call.namespace() != null && byNamespace.getOrDefault(call.namespace(), List.of()).stream().anyMatch(rule -> matches(rule, call));
        }

        private static boolean matches(PolicyRule rule, Call call) {
            return rule.getApiGroups().contains(call.group()) && rule.getResources().contains(call.resource())
                    && rule.getVerbs().contains(call.verb())
                    && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty() || rule.getResourceNames().contains(call.name()));
        }

        /** One verb on one resource, as some rule grants it (with its resource names, if any). */
        record Grant(String group, String resource, String verb, List<String> resourceNames) {
            boolean covers(Call call) {
                return group.equals(call.group()) && resource.equals(call.resource()) && verb.equals(call.verb())
                        && (resourceNames.isEmpty() || resourceNames.contains(call.name()));
            }
        }

        Set<Grant> grants() {
            List<PolicyRule> all = new ArrayList<>(clusterWide);
            byNamespace.values().forEach(all::addAll);
            Set<Grant> grants = new java.util.LinkedHashSet<>();
            for (PolicyRule rule : all) {
                List<String> names = rule.getResourceNames() == null ? List.of() : rule.getResourceNames();
                for (String group : rule.getApiGroups()) {
                    for (String resource : rule.getResources()) {
                        for (String verb : rule.getVerbs()) {
                            grants.add(new Grant(group, resource, verb, names));
                        }
                    }
                }
            }
            return grants;
        }

        @Override
        public String toString() {
            return "cluster-wide " + clusterWide + ", by namespace " + new TreeSet<>(byNamespace.keySet());
        }
    }
}
