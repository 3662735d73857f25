package dev.sluice.operator;

import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.inject.PodInjectionWebhook;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.EnforcedNamespaces;
import dev.sluice.operator.jobs.JobAdmissionWebhook;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobUpdateWebhook;
import dev.sluice.operator.webhook.WebhookSettings;
import dev.sluice.operator.webhook.WebhookTls;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart (charts/sluice) rendered by {@code helm template} against what the operator's Java code
 * says, so that the two cannot drift: the match conditions name exactly Sluice's marks
 * ({@link JobMarks}), the webhooks call the paths the server serves and select the label the operator
 * sets, every environment variable the Deployment passes is a setting the operator knows and parses,
 * RBAC names the configurations the operator is told to write, and the pod injection webhooks select
 * exactly the pods the injection contract says, each with the failure policy of its mode.
 *
 * <p>Needs helm: on the PATH, or where {@code e2e/cluster/build.sh} builds it
 * ({@code ~/.kubeapitest/k8s/<version>-linux-<arch>/helm}, or under {@code KUBE_API_TEST_DIR}), which
 * {@code .ci/run} does before {@code mvn verify}.
 */
class ChartIT {
    private static final String NAMESPACE = "sluice-system";
    /** A label or annotation key the CEL expressions test for, as {@code 'key' in ...}. */
    /*
     * The injection contract's names (docs/injection.md), as strings until the injector's own constants
     * (InjectionNames, its webhook's path, InjectionSettings' flags) are on this branch.
     */
    private static final String INJECT_LABEL = InjectionNames.LABEL;
    private static final String POD_WEBHOOK_PATH = PodInjectionWebhook.PATH;
    private static final Set<String> INJECTION_ENV = Set.of("SLUICE_INJECTION", "SLUICE_SIDECAR_IMAGE", "SLUICE_SIDECAR_IMAGE_PULL_POLICY",
            "SLUICE_SIDECAR_RESOURCES", "SLUICE_SIDECAR_ADMIN_PORT", "SLUICE_SIDECAR_DRAIN_SECONDS", "SLUICE_INJECTION_ALLOWED_IMAGES",
            "SLUICE_INJECTION_RESOURCE_OVERRIDES", "SLUICE_SIDECAR_REDIS_SECRET");
    private static final Pattern KEY_TESTED = Pattern.compile("'([^']+)' in (?:old)?[oO]bject\\.metadata\\.(labels|annotations)");

    @Test
    void theUpdateWebhooksMatchConditionsNameExactlySluicesMarks() {
        ValidatingWebhook updates = only(render("templates/webhooks.yaml"), ValidatingWebhookConfiguration.class).getWebhooks().get(0);
        String expressions = updates.getMatchConditions().stream().map(MatchCondition::getExpression).collect(Collectors.joining("\n"));

        Set<String> labels = tested(expressions, "labels");
        Set<String> annotations = tested(expressions, "annotations");
        Set<String> wantedLabels = new TreeSet<>(JobMarks.QUEUE_LABELS);
        wantedLabels.add(JobMarks.WEBHOOK_PROBE);
        wantedLabels.add(JobMarks.KUEUE_QUEUE_NAME);
        assertThat(labels).as("label keys the match conditions test").isEqualTo(wantedLabels);
        assertThat(annotations).as("annotation keys the match conditions test").isEqualTo(new TreeSet<>(JobMarks.QUEUE_ANNOTATIONS));
        for (String key : JobMarks.QUEUE_LABELS) {
            assertThat(expressions).contains("'" + key + "' in oldObject.metadata.labels", "'" + key + "' in object.metadata.labels");
        }
        for (String key : JobMarks.QUEUE_ANNOTATIONS) {
            assertThat(expressions).contains("'" + key + "' in oldObject.metadata.annotations", "'" + key + "' in object.metadata.annotations");
        }
        assertThat(expressions).contains("'" + JobMarks.WEBHOOK_PROBE + "' in object.metadata.labels",
                "request.userInfo.username != 'system:serviceaccount:" + NAMESPACE + ":sluice-operator'");
    }

    @Test
    void theWebhooksCallThePathsTheServerServesWhereTheOperatorLabelsNamespaces() {
        List<HasMetadata> webhooks = render("templates/webhooks.yaml");
        MutatingWebhook creations = only(webhooks, MutatingWebhookConfiguration.class).getWebhooks().get(0);
        ValidatingWebhook updates = only(webhooks, ValidatingWebhookConfiguration.class).getWebhooks().get(0);

        assertThat(creations.getClientConfig().getService().getPath()).isEqualTo(JobAdmissionWebhook.PATH);
        assertThat(updates.getClientConfig().getService().getPath()).isEqualTo(JobUpdateWebhook.PATH);
        for (List<LabelSelectorRequirement> selector : List.of(creations.getNamespaceSelector().getMatchExpressions(),
                updates.getNamespaceSelector().getMatchExpressions())) {
            assertThat(selector).anySatisfy(requirement -> {
                assertThat(requirement.getKey()).isEqualTo(EnforcedNamespaces.LABEL);
                assertThat(requirement.getOperator()).isEqualTo("In");
                assertThat(requirement.getValues()).containsExactly(EnforcedNamespaces.VALUE);
            });
            assertThat(selector).anySatisfy(requirement -> {
                assertThat(requirement.getKey()).isEqualTo("kubernetes.io/metadata.name");
                assertThat(requirement.getOperator()).isEqualTo("NotIn");
                assertThat(requirement.getValues()).containsExactlyInAnyOrder(NAMESPACE, "kube-system");
            });
        }
    }

    @Test
    void everySettingTheDeploymentPassesIsKnownAndParses() {
        List<HasMetadata> rendered = render("templates/deployment.yaml", "--set", "logging.level=debug", "--set", "logging.format=json",
                "--set", "watchNamespaces={team-a,team-b}", "--set", "trustedProxies={10.0.0.0/8}");
        Map<String, String> env = environment(only(rendered, Deployment.class));

        assertThat(env.keySet()).allSatisfy(name -> assertThat(name).startsWith("SLUICE_"));
        assertThat(env.keySet().stream().map(name -> name.substring("SLUICE_".length()).toLowerCase(Locale.ROOT).replace('_', '-')))
                .as("flags of the environment variables").allSatisfy(flag -> assertThat(OperatorSettings.FLAGS).contains(flag));
        Map<String, String> inCluster = new HashMap<>(env);
        inCluster.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        OperatorSettings settings = OperatorSettings.parse(new String[0], inCluster);

        assertThat(settings.namespaces()).containsExactlyInAnyOrder("team-a", "team-b");
        assertThat(settings.leaderElection()).isTrue();
        assertThat(settings.leaseNamespace()).isEqualTo(NAMESPACE);
        assertThat(settings.logLevel()).isEqualTo("DEBUG");
        assertThat(settings.jsonLogs()).isTrue();
        assertThat(settings.trustedProxies()).containsExactly("10.0.0.0/8");
        assertThat(settings.reportInterval()).as("liveStatus.reportInterval").isEqualTo(java.time.Duration.ofSeconds(2));
        Map<String, String> off = new HashMap<>(environment(only(render("templates/deployment.yaml", "--set-string", "liveStatus.reportInterval=0"),
                Deployment.class)));
        assertThat(OperatorSettings.parse(new String[0], off).reportsEnabled()).as("liveStatus.reportInterval=0").isFalse();
        WebhookSettings webhook = settings.webhook();
        assertThat(webhook.enabled()).isTrue();
        assertThat(WebhookSettings.service(webhook.service(), "default")).containsExactly(NAMESPACE, "sluice-operator-webhook", "443");
        assertThat(WebhookTls.qualified(webhook.secret(), "default")).containsExactly(NAMESPACE, "sluice-webhook-tls");
        assertThat(webhook.certDir()).isNull();

        assertThat(settings.injection().enabled()).isTrue();
        assertThat(settings.injection().image()).isEqualTo(only(rendered, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getImage().replace("sluice-operator", "sluice-sidecar"));

        List<HasMetadata> webhooks = render("templates/webhooks.yaml");
        List<HasMetadata> injection = render("templates/injection-webhooks.yaml");
        assertThat(webhook.configurations()).containsExactlyInAnyOrder(only(webhooks, MutatingWebhookConfiguration.class).getMetadata().getName(),
                only(webhooks, ValidatingWebhookConfiguration.class).getMetadata().getName(),
                only(injection, MutatingWebhookConfiguration.class).getMetadata().getName());
        List<PolicyRule> rules = clusterRules();
        assertThat(patchableConfigurations(rules)).as("the configurations RBAC lets the operator patch")
                .containsExactlyInAnyOrderElementsOf(webhook.configurations());
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getResources()).containsExactly("namespaces");
            assertThat(rule.getVerbs()).contains("get", "list", "watch", "patch");
        });
    }

    @Test
    void withCertManagerTheOperatorReadsTheMountedCertificate() {
        Map<String, String> env = environment(only(render("templates/deployment.yaml", "--set", "certManager.enabled=true"), Deployment.class));
        env.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");

        WebhookSettings webhook = OperatorSettings.parse(new String[0], env).webhook();

        assertThat(webhook.certDir()).isEqualTo(Path.of("/etc/sluice/webhook-tls"));
        assertThat(env).doesNotContainKey("SLUICE_WEBHOOK_SECRET");
    }

    @ParameterizedTest(name = "namespace {0}={1}, pod label {2}: {3}")
    @CsvSource(nullValues = "-", value = {
        "shop,        enabled,  -,     inject.sluice.dev",
        "shop,        enabled,  true,  inject.sluice.dev",
        "shop,        enabled,  false, -",
        "shop,        required, -,     inject-required.sluice.dev",
        "shop,        required, false, inject-required.sluice.dev",
        "shop,        -,        true,  inject-pod.sluice.dev",
        "shop,        -,        -,     -",
        "shop,        -,        false, -",
        "shop,        disabled, true,  -",
        "sluice-system, required, -,   -",
        "kube-system, enabled,  true,  -",
        "kube-system, -,        true,  -"})
    void atMostOnePodWebhookIsCalledAsTheNamespaceAndPodLabelsSay(String namespace, String namespaceMode, String podLabel, String called) {
        Map<String, String> namespaceLabels = new HashMap<>(Map.of("kubernetes.io/metadata.name", namespace));
        if (namespaceMode != null) {
            namespaceLabels.put(INJECT_LABEL, namespaceMode);
        }
        Map<String, String> podLabels = podLabel == null ? Map.of("app", "shop") : Map.of("app", "shop", INJECT_LABEL, podLabel);

        List<String> calling = podWebhooks().stream()
                .filter(webhook -> selects(webhook.getNamespaceSelector(), namespaceLabels) && selects(webhook.getObjectSelector(), podLabels))
                .map(MutatingWebhook::getName).toList();

        assertThat(calling).isEqualTo(called == null ? List.of() : List.of(called));
    }

    @Test
    void thePodWebhooksCallTheInjectorOnCreateWithTheFailurePolicyOfTheirMode() {
        MutatingWebhookConfiguration configuration = only(render("templates/injection-webhooks.yaml"), MutatingWebhookConfiguration.class);
        assertThat(configuration.getMetadata().getName()).isEqualTo("sluice-pods");
        Map<String, String> failurePolicies = new HashMap<>();
        for (MutatingWebhook webhook : configuration.getWebhooks()) {
            failurePolicies.put(webhook.getName(), webhook.getFailurePolicy());
            assertThat(webhook.getClientConfig().getService().getPath()).isEqualTo(POD_WEBHOOK_PATH);
            assertThat(webhook.getClientConfig().getService().getName()).isEqualTo("sluice-operator-webhook");
            assertThat(webhook.getRules()).singleElement().satisfies(rule -> {
                assertThat(rule.getApiGroups()).containsExactly("");
                assertThat(rule.getResources()).containsExactly("pods");
                assertThat(rule.getOperations()).containsExactly("CREATE");
            });
            assertThat(webhook.getSideEffects()).isEqualTo("None");
            assertThat(webhook.getReinvocationPolicy()).isEqualTo("IfNeeded");
            assertThat(webhook.getMatchPolicy()).isEqualTo("Equivalent");
            assertThat(webhook.getMatchConditions()).extracting(MatchCondition::getExpression)
                    .containsExactly("!(has(object.spec.hostNetwork) && object.spec.hostNetwork)");
        }
        assertThat(failurePolicies).containsExactlyInAnyOrderEntriesOf(Map.of(
                "inject.sluice.dev", "Ignore", "inject-required.sluice.dev", "Fail", "inject-pod.sluice.dev", "Ignore"));
        assertThat(render("templates/injection-webhooks.yaml", "--set", "certManager.enabled=true").get(0).getMetadata().getAnnotations())
                .containsEntry("cert-manager.io/inject-ca-from", NAMESPACE + "/sluice-webhook");
    }

    @Test
    void theInjectionValuesBecomeTheOperatorsSettings() {
        List<HasMetadata> rendered = render("templates/deployment.yaml", "--set", "image.tag=1.2.3", "--set", "sidecar.image.registry=registry.example:5000/team",
                "--set", "sidecar.image.pullPolicy=Always", "--set", "sidecar.adminPort=15090", "--set", "sidecar.drainSeconds=8",
                "--set", "sidecar.resources.requests.cpu=20m", "--set", "injection.podOverrides.images={registry.example:5000/team/sluice-sidecar:1.2.4}",
                "--set", "injection.podOverrides.resources=true", "--set", "sidecar.redisPasswordSecret.name=redis-auth");
        Map<String, String> env = environment(only(rendered, Deployment.class));

        Map<String, String> injection = new HashMap<>(env);
        injection.keySet().retainAll(INJECTION_ENV);
        assertThat(injection).containsOnlyKeys(INJECTION_ENV).containsAllEntriesOf(Map.of(
                "SLUICE_INJECTION", "true",
                "SLUICE_SIDECAR_IMAGE", "registry.example:5000/team/sluice-sidecar:1.2.3",
                "SLUICE_SIDECAR_IMAGE_PULL_POLICY", "Always",
                "SLUICE_SIDECAR_ADMIN_PORT", "15090",
                "SLUICE_SIDECAR_DRAIN_SECONDS", "8",
                "SLUICE_INJECTION_ALLOWED_IMAGES", "registry.example:5000/team/sluice-sidecar:1.2.4",
                "SLUICE_INJECTION_RESOURCE_OVERRIDES", "true",
                "SLUICE_SIDECAR_REDIS_SECRET", "redis-auth/password"));
        ResourceRequirements resources = new KubernetesSerialization().unmarshal(env.get("SLUICE_SIDECAR_RESOURCES"), ResourceRequirements.class);
        assertThat(resources.getRequests()).containsExactlyInAnyOrderEntriesOf(Map.of("cpu", new Quantity("20m"), "memory", new Quantity("128Mi")));
        assertThat(resources.getLimits()).containsExactlyEntriesOf(Map.of("memory", new Quantity("128Mi")));

        env.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        WebhookSettings webhook = OperatorSettings.parse(new String[0], env).webhook();
        assertThat(webhook.configurations()).containsExactly("sluice-jobs", "sluice-pods", "sluice-job-updates");
        assertThat(patchableConfigurations(clusterRules())).containsExactlyInAnyOrderElementsOf(webhook.configurations());
    }

    @Test
    void theSidecarImageIsTheOperatorImagesRegistryAndTagByDefault() {
        Map<String, String> env = environment(only(render("templates/deployment.yaml", "--set", "image.registry=ghcr.io/acme",
                "--set", "image.tag=2.0.0"), Deployment.class));
        Map<String, String> ownTag = environment(only(render("templates/deployment.yaml", "--set", "sidecar.image.tag=2.0.1"), Deployment.class));

        assertThat(env).containsEntry("SLUICE_SIDECAR_IMAGE", "ghcr.io/acme/sluice-sidecar:2.0.0")
                .doesNotContainKeys("SLUICE_INJECTION_ALLOWED_IMAGES", "SLUICE_SIDECAR_REDIS_SECRET");
        assertThat(ownTag).containsEntry("SLUICE_SIDECAR_IMAGE", "localhost/sluice-sidecar:2.0.1");
    }

    @Test
    void withInjectionOffNoPodIsSentToTheOperatorAndNothingIsInjected() {
        List<HasMetadata> chart = Helm.render(NAMESPACE, null, "--set", "injection.enabled=false");

        assertThat(chart).filteredOn(MutatingWebhookConfiguration.class::isInstance).extracting(object -> object.getMetadata().getName())
                .containsExactly("sluice-jobs");
        Map<String, String> env = environment(only(chart, Deployment.class));
        assertThat(env.keySet()).doesNotContainAnyElementsOf(INJECTION_ENV);
        assertThat(env).containsEntry("SLUICE_WEBHOOK_CONFIGURATIONS", "sluice-jobs,sluice-job-updates");
        assertThat(patchableConfigurations(clusterRules("--set", "injection.enabled=false"))).doesNotContain("sluice-pods");
    }

    @Test
    void theOperatorMayListWhatTheSidecarAuditorLists() {
        List<PolicyRule> rules = clusterRules();

        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getResources()).containsExactly("namespaces");
            assertThat(rule.getVerbs()).contains("list");
        });
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getResources()).containsExactly("pods");
            assertThat(rule.getVerbs()).contains("list");
        });
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getResources()).containsExactly("events");
            assertThat(rule.getVerbs()).contains("create", "list");
        });
    }

    @Test
    void theInjectorMayListServicesInEveryNamespaceAlsoWhereOnlySomeAreWatchedAndNothingWithInjectionOff() {
        List<HasMetadata> rbac = render("templates/rbac.yaml", "--set", "watchNamespaces={team-a}");
        Set<String> boundClusterWide = rbac.stream().filter(ClusterRoleBinding.class::isInstance).map(ClusterRoleBinding.class::cast)
                .map(binding -> binding.getRoleRef().getName()).collect(Collectors.toSet());
        List<PolicyRule> clusterWide = rbac.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .filter(role -> boundClusterWide.contains(role.getMetadata().getName())).flatMap(role -> role.getRules().stream()).toList();

        assertThat(clusterWide).filteredOn(rule -> rule.getResources().contains("services")).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("services");
            assertThat(rule.getVerbs()).containsExactly("list");
        });
        assertThat(clusterRules("--set", "injection.enabled=false")).noneMatch(rule -> rule.getResources().contains("services"));
    }

    private static List<MutatingWebhook> podWebhooks() {
        return only(render("templates/injection-webhooks.yaml"), MutatingWebhookConfiguration.class).getWebhooks();
    }

    /** Whether a webhook's namespace or object selector selects an object with these labels (null or empty: all). */
    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        if (selector.getMatchLabels() != null && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        List<LabelSelectorRequirement> requirements = selector.getMatchExpressions() == null ? List.of() : selector.getMatchExpressions();
        return requirements.stream().allMatch(requirement -> {
            String value = labels.get(requirement.getKey());
            return switch (requirement.getOperator()) {
                case "In" -> value != null && requirement.getValues().contains(value);
                case "NotIn" -> value == null || !requirement.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("unknown selector operator " + requirement.getOperator());
            };
        });
    }

    private static List<PolicyRule> clusterRules(String... args) {
        return render("templates/rbac.yaml", args).stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .flatMap(role -> role.getRules().stream()).toList();
    }

    private static List<String> patchableConfigurations(List<PolicyRule> rules) {
        return rules.stream().filter(rule -> rule.getResources().contains("mutatingwebhookconfigurations")
                        || rule.getResources().contains("validatingwebhookconfigurations"))
                .flatMap(rule -> rule.getResourceNames().stream()).toList();
    }

    private static Map<String, String> environment(Deployment deployment) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar variable : deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
            assertThat(variable.getValueFrom()).as(variable.getName() + " has a plain value").isNull();
            env.put(variable.getName(), variable.getValue());
        }
        return env;
    }

    private static Set<String> tested(String expressions, String map) {
        Set<String> keys = new TreeSet<>();
        Matcher matcher = KEY_TESTED.matcher(expressions);
        while (matcher.find()) {
            if (matcher.group(2).equals(map)) {
                keys.add(matcher.group(1));
            }
        }
        return keys;
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertThat(found).as(kind.getSimpleName() + " rendered").hasSize(1);
        return found.get(0);
    }

    private static List<HasMetadata> render(String template, String... args) {
        return Helm.render(NAMESPACE, template, args);
    }
}
