package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.EnforcedNamespaces;
import dev.sluice.operator.jobs.JobAdmissionWebhook;
import dev.sluice.operator.jobs.JobMarks;
import dev.sluice.operator.jobs.JobUpdateWebhook;
import dev.sluice.operator.webhook.WebhookSettings;
import dev.sluice.operator.webhook.WebhookTls;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
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

/**
 * The chart (charts/sluice) rendered by {@code helm template} against what the operator's Java code
 * says, so that the two cannot drift: the match conditions name exactly Sluice's marks
 * ({@link JobMarks}), the webhooks call the paths the server serves and select the label the operator
 * sets, every environment variable the Deployment passes is a setting the operator knows and parses,
 * and RBAC names the configurations the operator is told to write.
 *
 * <p>Needs helm: on the PATH, or where {@code e2e/cluster/build.sh} builds it
 * ({@code ~/.kubeapitest/k8s/<version>-linux-<arch>/helm}, or under {@code KUBE_API_TEST_DIR}), which
 * {@code .ci/run} does before {@code mvn verify}.
 */
class ChartIT {
    private static final String NAMESPACE = "sluice-system";
    /** A label or annotation key the CEL expressions test for, as {@code 'key' in ...}. */
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
        WebhookSettings webhook = settings.webhook();
        assertThat(webhook.enabled()).isTrue();
        assertThat(WebhookSettings.service(webhook.service(), "default")).containsExactly(NAMESPACE, "sluice-operator-webhook", "443");
        assertThat(WebhookTls.qualified(webhook.secret(), "default")).containsExactly(NAMESPACE, "sluice-webhook-tls");
        assertThat(webhook.certDir()).isNull();

        List<HasMetadata> webhooks = render("templates/webhooks.yaml");
        assertThat(webhook.configurations()).containsExactly(only(webhooks, MutatingWebhookConfiguration.class).getMetadata().getName(),
                only(webhooks, ValidatingWebhookConfiguration.class).getMetadata().getName());
        List<PolicyRule> rules = render("templates/rbac.yaml").stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .flatMap(role -> role.getRules().stream()).toList();
        assertThat(rules.stream().filter(rule -> rule.getResources().contains("mutatingwebhookconfigurations")
                        || rule.getResources().contains("validatingwebhookconfigurations"))
                .flatMap(rule -> rule.getResourceNames().stream()))
                .as("the configurations RBAC lets the operator patch").containsExactlyInAnyOrderElementsOf(webhook.configurations());
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
