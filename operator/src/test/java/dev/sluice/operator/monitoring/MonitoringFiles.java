package dev.sluice.operator.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monitoring files the chart ships (charts/sluice/files/), read for the tests: the rules (one
 * canonical file, the PrometheusRule's spec and the plain rules file at once) and the dashboard.
 */
final class MonitoringFiles {
    static final Path RULES = Path.of("..", "charts", "sluice", "files", "sluice-rules.yaml");
    static final Path DASHBOARD = Path.of("..", "charts", "sluice", "files", "sluice-dashboard.json");
    static final Path RUNBOOK = Path.of("..", "docs", "runbook.md");
    static final Path MONITORING_DOC = Path.of("..", "docs", "monitoring.md");
    /** Where the rules' runbook_url annotations point (the chart's metrics.prometheusRule.runbookUrl replaces it). */
    static final String RUNBOOK_URL = "https://github.com/sluice-dev/sluice/blob/main/docs/runbook.md";
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Metrics the rules or the dashboard use that no Sluice process exports yet, each with the reason. Their
     * expressions are still parsed and unit-tested (promtool); only the live run cannot find series of them.
     */
    static final Map<String, String> NOT_YET_EXPORTED = Map.of();

    /** One rule of the rules file: a recording rule (alert null) or an alert (record null). */
    record Rule(String group, String record, String alert, String expr, String forDuration, Map<String, String> labels,
                Map<String, String> annotations) {
        String name() {
            return alert != null ? alert : record;
        }
    }

    private MonitoringFiles() {
    }

    static List<Rule> rules() {
        return rules(read(RULES));
    }

    static List<Rule> rules(String text) {
        List<Rule> rules = new ArrayList<>();
        try {
            for (JsonNode group : YAML.readTree(text).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    rules.add(new Rule(group.path("name").asText(), text(rule, "record"), text(rule, "alert"), rule.path("expr").asText(),
                            text(rule, "for"), strings(rule.path("labels")), strings(rule.path("annotations"))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rules;
    }

    /** One query of the dashboard: its panel's title and the PromQL with Grafana's variables as "All" would set them. */
    record Query(String panel, String expr) {
    }

    /** Every query of the dashboard's panels, and the selectors of its variables' label_values() queries. */
    static List<Query> dashboardQueries() {
        List<Query> queries = new ArrayList<>();
        try {
            JsonNode dashboard = JSON.readTree(read(DASHBOARD));
            for (JsonNode panel : dashboard.path("panels")) {
                for (JsonNode target : panel.path("targets")) {
                    queries.add(new Query(panel.path("title").asText(), asAll(target.path("expr").asText())));
                }
            }
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                Matcher values = LABEL_VALUES.matcher(variable.path("query").path("query").asText());
                if ("query".equals(variable.path("type").asText()) && values.matches()) {
                    queries.add(new Query("variable " + variable.path("name").asText(), asAll(values.group(1))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return queries;
    }

    /** Grafana's variables replaced as the dashboard's "All" and a 1 m rate interval set them: PromQL that promtool and Prometheus take. */
    static String asAll(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$namespace", ".*").replace("$policy", ".*");
    }

    /**
     * An alert's expression without its final comparison with a number ({@code X > 0.2} gives {@code X}): what
     * must return series while the metrics exist, firing or not. Null when the expression has no such form.
     */
    static String condition(String alertExpr) {
        Matcher comparison = COMPARISON.matcher(alertExpr.trim());
        return comparison.matches() ? comparison.group(1).trim() : null;
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.+),\\s*[a-zA-Z_][a-zA-Z0-9_]*\\)$");
    private static final Pattern COMPARISON = Pattern.compile("^(.+?)\\s*(?:==|!=|>=|<=|>|<)\\s*[0-9.]+$", Pattern.DOTALL);

    static List<Rule> alerts() {
        return rules().stream().filter(rule -> rule.alert() != null).toList();
    }

    static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> strings = new java.util.TreeMap<>();
        node.fields().forEachRemaining(field -> strings.put(field.getKey(), field.getValue().asText()));
        return strings;
    }
}
