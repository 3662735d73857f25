package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart's monitoring objects (issue 18), all off by default: the PrometheusRule whose spec is the
 * canonical rules file, the PodMonitor of the sidecars, the operator's ServiceMonitor keeping its
 * metrics' namespace, and the Grafana dashboard's ConfigMap holding the dashboard file as it is.
 */
class ChartMonitoringIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILES = Helm.CHART.resolve("files");
    private static final String[] ALL_ON = {"--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.podMonitor.enabled=true",
        "--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.dashboard.enabled=true"};

    @Test
    void nothingOfMonitoringByDefault() {
        List<HasMetadata> objects = Helm.render("sluice-system", null);

        assertThat(objects).extracting(HasMetadata::getKind).doesNotContain("ServiceMonitor", "PodMonitor", "PrometheusRule");
        assertThat(objects).filteredOn(object -> object.getMetadata().getName().endsWith("-dashboard")).isEmpty();
    }

    @Test
    void thePrometheusRuleIsTheRulesFileWithTheRunbookAsked() throws IOException {
        HasMetadata rule = only(Helm.render("sluice-system", "templates/prometheusrule.yaml", "--set", "metrics.prometheusRule.enabled=true",
                "--set", "metrics.prometheusRule.runbookUrl=https://wiki.example.org/sluice/runbook", "--set", "metrics.prometheusRule.labels.release=kps"));
        JsonNode expected = YAML.readTree(Files.readString(FILES.resolve("sluice-rules.yaml"))
                .replace("https://github.com/sluice-dev/sluice/blob/main/docs/runbook.md", "https://wiki.example.org/sluice/runbook"));

        assertThat(rule.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(rule.getMetadata().getNamespace()).isEqualTo("sluice-system");
        assertThat(rule.getMetadata().getLabels()).containsEntry("release", "kps");
        assertThat((JsonNode) JSON.valueToTree(((GenericKubernetesResource) rule).getAdditionalProperties().get("spec"))).isEqualTo(expected);
        assertThat(expected.toString()).contains("https://wiki.example.org/sluice/runbook#sluicehighrejectionrate")
                .doesNotContain("github.com/sluice-dev");
    }

    @Test
    void thePodMonitorScrapesTheSidecarsAdminPortInTheNamespacesAsked() {
        GenericKubernetesResource everywhere = (GenericKubernetesResource) only(Helm.render("sluice-system", "templates/podmonitor.yaml",
                "--set", "metrics.podMonitor.enabled=true"));
        GenericKubernetesResource two = (GenericKubernetesResource) only(Helm.render("sluice-system", "templates/podmonitor.yaml",
                "--set", "metrics.podMonitor.enabled=true", "--set", "metrics.podMonitor.namespaces={shop,pay}", "--set",
                "metrics.podMonitor.interval=10s"));

        JsonNode spec = JSON.valueToTree(everywhere.getAdditionalProperties().get("spec"));
        assertThat(spec.path("namespaceSelector").path("any").asBoolean()).isTrue();
        assertThat(spec.path("selector").isEmpty()).isTrue();
        // The injector's name for the sidecar's admin port (InjectionNames.ADMIN_PORT_NAME).
        assertThat(spec.path("podMetricsEndpoints").get(0).path("port").asText()).isEqualTo(dev.sluice.api.inject.InjectionNames.ADMIN_PORT_NAME);
        assertThat(spec.path("podMetricsEndpoints").get(0).path("path").asText()).isEqualTo("/metrics");
        assertThat(spec.path("podMetricsEndpoints").get(0).path("interval").asText()).isEqualTo("15s");
        JsonNode narrowed = JSON.valueToTree(two.getAdditionalProperties().get("spec"));
        assertThat(narrowed.path("namespaceSelector").toString()).isEqualTo("{\"matchNames\":[\"shop\",\"pay\"]}");
        assertThat(narrowed.path("podMetricsEndpoints").get(0).path("interval").asText()).isEqualTo("10s");
    }

    @Test
    void theServiceMonitorKeepsTheNamespaceTheOperatorsMetricsName() {
        GenericKubernetesResource monitor = (GenericKubernetesResource) only(Helm.render("sluice-system", "templates/servicemonitor.yaml",
                "--set", "metrics.serviceMonitor.enabled=true"));

        JsonNode endpoint = JSON.valueToTree(monitor.getAdditionalProperties().get("spec")).path("endpoints").get(0);
        assertThat(endpoint.path("honorLabels").asBoolean()).isTrue();
        assertThat(endpoint.path("port").asText()).isEqualTo("http");
    }

    @Test
    void theDashboardConfigMapHoldsTheDashboardFileForGrafanasSidecar() throws IOException {
        ConfigMap dashboard = (ConfigMap) only(Helm.render("sluice-system", "templates/dashboard.yaml", "--set", "metrics.dashboard.enabled=true",
                "--set", "metrics.dashboard.namespace=monitoring", "--set", "metrics.dashboard.annotations.grafana_folder=Sluice"));

        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Sluice");
        assertThat(dashboard.getData().get("sluice-dashboard.json")).isEqualTo(Files.readString(FILES.resolve("sluice-dashboard.json")).stripTrailing());
    }

    @Test
    void lintsCleanWithEveryMonitoringObject() {
        String[] args = new String[ALL_ON.length + 3];
        args[0] = "lint";
        args[1] = "--strict";
        args[2] = Helm.CHART.toString();
        System.arraycopy(ALL_ON, 0, args, 3, ALL_ON.length);

        Helm.Result lint = Helm.run(args);

        assertThat(lint.exitCode()).as(lint.toString()).isZero();
        assertThat(lint.stdout()).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[WARNING]", "[ERROR]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "metrics.podMonitor.enabled=yes; at '/metrics/podMonitor/enabled': got string, want boolean",
        "metrics.podMonitor.interval=often; at '/metrics/podMonitor/interval': 'often' does not match pattern",
        "metrics.podMonitor.namespaces={Shop}; at '/metrics/podMonitor/namespaces/0'",
        "metrics.prometheusRule.runbookUrl=docs/runbook.md; at '/metrics/prometheusRule/runbookUrl'",
        "metrics.prometheusRule.severity=page; at '/metrics/prometheusRule': additional properties 'severity' not allowed",
        "metrics.dashboard.namespace=Monitoring; at '/metrics/dashboard/namespace'",
        "metrics.dashboard.folder=Sluice; at '/metrics/dashboard': additional properties 'folder' not allowed"})
    void theSchemaRefusesBadMonitoringValuesNamingThem(String value, String message) {
        Helm.Result template = Helm.run("template", "sluice", Helm.CHART.toString(), "--set", value);

        assertThat(template.exitCode()).as(template.toString()).isNotZero();
        assertThat(template.stderr()).contains("values don't meet the specifications of the schema").contains(message);
    }

    private static HasMetadata only(List<HasMetadata> objects) {
        assertThat(objects).hasSize(1);
        return objects.get(0);
    }
}
