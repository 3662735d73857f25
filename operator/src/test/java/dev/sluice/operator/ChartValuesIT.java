package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * charts/sluice without a cluster: {@code helm lint --strict} in its usual shapes, its schema refusing
 * bad values with a message that names them, and its README's values table in step with values.yaml.
 */
class ChartValuesIT {
    private static final Path CHART = Helm.CHART;
    private static final String START = "<!-- values:start -->\n";
    private static final String END = "<!-- values:end -->";


    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "''",
        "--set=crds.install=true",
        "--set=cleanup.enabled=false",
        "--set=certManager.enabled=true",
        "--set=watchNamespaces={shop,orders};--set=replicaCount=1",
        "--set=redis.config.mode=Standalone;--set=redis.config.addresses={redis.shop.svc:6379};--set=metrics.serviceMonitor.enabled=true",
        "--set=injection.enabled=false",
        "--set=injection.podOverrides.images={ghcr.io/acme/sluice-sidecar:1.2};--set=injection.podOverrides.resources=true;--set=sidecar.redisPasswordSecret.name=redis-auth"})
    void lintsCleanWithStrict(String values) {
        String[] args = values.isEmpty() ? new String[0] : values.split(";");
        Helm.Result lint = Helm.run(concat(new String[] {"lint", "--strict", CHART.toString()}, args));
        assertThat(lint.exitCode()).as(lint.toString()).isZero();
        assertThat(lint.stdout()).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[WARNING]", "[ERROR]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "replicaCount=two; at '/replicaCount': got string, want integer",
        "colour=blue; additional properties 'colour' not allowed",
        "image.tag=v1:latest; at '/image/tag': 'v1:latest' does not match pattern",
        "image.pullPolicy=Sometimes; at '/image/pullPolicy': value must be one of",
        "logging.level=loud; at '/logging/level': value must be one of",
        "webhook.timeoutSeconds=60; at '/webhook/timeoutSeconds'",
        "cleanup.timeoutSeconds=5; at '/cleanup/timeoutSeconds'",
        "cleanup.enabled=yes; at '/cleanup/enabled': got string, want boolean",
        "redis.config.password=secret; at '/redis/config': additional properties 'password' not allowed",
        "sidecar.image.tag=v1:latest; at '/sidecar/image/tag': 'v1:latest' does not match pattern",
        "injection.namespaces=shop; at '/injection': additional properties 'namespaces' not allowed",
        "injection.enabled=yes; at '/injection/enabled': got string, want boolean",
        "sidecar.drainSeconds=600; at '/sidecar/drainSeconds'",
        "sidecar.adminPort=80; at '/sidecar/adminPort'",
        "sidecar.resources.requests.cpu=lots; at '/sidecar/resources/requests/cpu'",
        "injection.podOverrides.images={a/b 1}; at '/injection/podOverrides/images/0'"})
    void theSchemaRefusesBadValuesNamingThem(String value, String message) {
        Helm.Result template = Helm.run("template", "sluice", CHART.toString(), "--set", value);
        assertThat(template.exitCode()).as(template.toString()).isNotZero();
        assertThat(template.stderr()).contains("values don't meet the specifications of the schema").contains(message);
    }

    @Test
    void theReadmeListsEveryValueAsValuesYamlHasIt() throws IOException {
        Path readme = CHART.resolve("README.md");
        String text = Files.readString(readme);
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        assertThat(start).as("markers in " + readme).isNotNegative();
        assertThat(end).as("markers in " + readme).isGreaterThan(start);
        String expected = ValuesTable.markdown(ValuesTable.rows(Files.readString(CHART.resolve("values.yaml"))));
        if (Boolean.getBoolean("sluice.golden.update")) {
            Files.writeString(readme, text.substring(0, start + START.length()) + expected + text.substring(end));
            return;
        }
        assertThat(text.substring(start + START.length(), end))
                .as("charts/sluice/README.md's values table is not values.yaml's; rewrite it with -Dsluice.golden.update=true")
                .isEqualTo(expected);
    }

    @Test
    void everyValueIsInTheTableAndTheSchema() throws IOException {
        String schema = Files.readString(CHART.resolve("values.schema.json"));
        for (ValuesTable.Row row : ValuesTable.rows(Files.readString(CHART.resolve("values.yaml")))) {
            String leaf = row.key().substring(row.key().lastIndexOf('.') + 1);
            assertThat(schema).as("values.schema.json describes " + row.key()).contains("\"" + leaf + "\"");
        }
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = new String[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
