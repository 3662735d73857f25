package dev.sluice.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.operator.monitoring.MonitoringFiles.Query;
import dev.sluice.operator.monitoring.MonitoringFiles.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard (charts/sluice/files/sluice-dashboard.json): every query parses (promtool), every
 * panel says what it shows and uses the data source variable, the namespace and policy variables exist,
 * and docs/monitoring.md describes every panel and every alert.
 */
class DashboardTest {
    private static final JsonNode DASHBOARD = read();

    @TempDir
    Path directory;

    @Test
    void everyQueryOfTheDashboardAndTheRulesParses() throws IOException {
        // promtool parses PromQL only inside rules: each query becomes a recording rule of a throwaway file.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<Query> queries = MonitoringFiles.dashboardQueries();
        for (int i = 0; i < queries.size(); i++) {
            rules.append("      - record: dashboard:query_").append(i).append('\n')
                    .append("        expr: ").append(MonitoringFiles.JSON.writeValueAsString(queries.get(i).expr())).append('\n');
        }
        Path file = Files.writeString(directory.resolve("dashboard-queries.yaml"), rules);

        Promtool.Result result = Promtool.run("check", "rules", file.toString());

        assertThat(queries).hasSizeGreaterThan(20);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + queries.size() + " rules found");
    }

    @Test
    void everyPanelSaysWhatItShowsAndQueriesTheChosenDataSource() {
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : DASHBOARD.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            String title = panel.path("title").asText();
            titles.add(title);
            assertThat(panel.path("description").asText()).as(title + " description").hasSizeGreaterThan(30);
            assertThat(panel.path("datasource").path("uid").asText()).as(title + " data source").isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(title + " queries").isNotEmpty().allSatisfy(target -> {
                assertThat(target.path("expr").asText()).isNotBlank();
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            });
        }
        assertThat(titles).doesNotHaveDuplicates();
    }

    @Test
    void theDashboardFiltersByNamespaceAndPolicy() {
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        DASHBOARD.path("templating").path("list").forEach(variable -> variables.put(variable.path("name").asText(), variable));

        assertThat(variables).containsOnlyKeys("datasource", "namespace", "policy");
        assertThat(variables.get("datasource").path("query").asText()).isEqualTo("prometheus");
        for (String name : List.of("namespace", "policy")) {
            assertThat(variables.get(name).path("multi").asBoolean()).as(name + " multi").isTrue();
            assertThat(variables.get(name).path("includeAll").asBoolean()).as(name + " All").isTrue();
            assertThat(variables.get(name).path("allValue").asText()).as(name + " All value").isEqualTo(".*");
        }
        // Every query of a sidecar's or a namespace's metric honours the namespace choice (only the operator's own do not).
        List<String> unfiltered = new ArrayList<>();
        for (JsonNode panel : DASHBOARD.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                if (!expr.contains("namespace=~\"$namespace\"") && !expr.contains("operator_sdk_")) {
                    unfiltered.add(panel.path("title").asText() + ": " + expr);
                }
            }
        }
        assertThat(unfiltered).isEmpty();
    }

    @Test
    void theDocsDescribeEveryPanelAndEveryAlert() {
        String doc = MonitoringFiles.read(MonitoringFiles.MONITORING_DOC);
        List<String> missing = new ArrayList<>();
        for (JsonNode panel : DASHBOARD.path("panels")) {
            String title = panel.path("title").asText();
            if (!"row".equals(panel.path("type").asText()) && !doc.contains("### " + title + "\n")) {
                missing.add("panel " + title);
            }
            for (JsonNode target : panel.path("targets")) {
                if (!doc.contains(target.path("expr").asText())) {
                    missing.add("query of " + title + ": " + target.path("expr").asText());
                }
            }
        }
        for (Rule alert : MonitoringFiles.alerts()) {
            if (!doc.contains("### " + alert.alert() + "\n")) {
                missing.add("alert " + alert.alert());
            }
        }

        assertThat(missing).as("not in docs/monitoring.md").isEmpty();
    }

    private static JsonNode read() {
        try {
            return MonitoringFiles.JSON.readTree(MonitoringFiles.read(MonitoringFiles.DASHBOARD));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
