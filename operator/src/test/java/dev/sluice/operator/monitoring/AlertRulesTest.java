package dev.sluice.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.operator.monitoring.Exposition.Series;
import dev.sluice.operator.monitoring.MonitoringFiles.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules file with promtool: it parses ({@code promtool check rules}), and its unit tests pass
 * ({@code promtool test rules}, src/test/resources/monitoring/sluice-rules-test.yaml); every alert is
 * tested firing and not firing, carries what it promises (severity, summary, description, a runbook
 * section that exists), and the tests' input series have the labels of a real scrape.
 */
class AlertRulesTest {
    private static final Path TESTS = Path.of("src", "test", "resources", "monitoring", "sluice-rules-test.yaml");
    /** Labels the scrape adds (the PodMonitor, ServiceMonitor or kubernetes_sd relabelling), not the process. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance", "namespace", "pod");
    private static final Pattern ANCHOR = Pattern.compile("^#+ (.+)$", Pattern.MULTILINE);

    @TempDir
    Path directory;

    @Test
    void theRulesParse() {
        Promtool.Result result = Promtool.run("check", "rules", MonitoringFiles.RULES.toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + MonitoringFiles.rules().size() + " rules found");
    }

    @Test
    void theUnitTestsOfEveryAlertPass() throws IOException {
        // promtool reads rule_files relative to the test file: point it at the chart's file, wherever the build runs.
        Path tests = directory.resolve("sluice-rules-test.yaml");
        Files.writeString(tests, MonitoringFiles.read(TESTS).replace("  - RULES\n", "  - " + MonitoringFiles.RULES.toAbsolutePath() + "\n"));

        Promtool.Result result = Promtool.run("test", "rules", tests.toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertIsTestedFiringAndNotFiring() throws IOException {
        Set<String> firing = new TreeSet<>();
        Set<String> silent = new TreeSet<>();
        for (JsonNode test : MonitoringFiles.YAML.readTree(TESTS.toFile()).path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                (check.path("exp_alerts").isEmpty() ? silent : firing).add(check.path("alertname").asText());
            }
        }
        Set<String> alerts = MonitoringFiles.alerts().stream().map(Rule::alert).collect(Collectors.toCollection(TreeSet::new));

        assertThat(firing).as("alerts tested firing").isEqualTo(alerts);
        assertThat(silent).as("alerts tested not firing").isEqualTo(alerts);
    }

    @Test
    void everyAlertHasASeverityASummaryADescriptionAndARunbookSection() {
        Set<String> sections = new HashSet<>();
        Matcher heading = ANCHOR.matcher(MonitoringFiles.read(MonitoringFiles.RUNBOOK));
        while (heading.find()) {
            sections.add(githubAnchor(heading.group(1)));
        }
        List<Rule> alerts = MonitoringFiles.alerts();

        assertThat(alerts).isNotEmpty().allSatisfy(alert -> {
            assertThat(alert.labels().get("severity")).as(alert.alert() + " severity").isIn("warning", "critical");
            assertThat(alert.forDuration()).as(alert.alert() + " for").isNotBlank();
            assertThat(alert.annotations()).as(alert.alert() + " annotations").containsOnlyKeys("summary", "description", "runbook_url");
            assertThat(alert.annotations().get("runbook_url")).as(alert.alert() + " runbook_url")
                    .startsWith(MonitoringFiles.RUNBOOK_URL + "#")
                    .endsWith("#" + alert.alert().toLowerCase());
            assertThat(sections).as("sections of docs/runbook.md").contains(alert.alert().toLowerCase());
        });
    }

    @Test
    void theTestsInputSeriesHaveTheLabelsOfARealScrape() throws IOException {
        Map<String, Set<Set<String>>> scraped = labelNamesByMetric(scrapes());
        Map<String, Set<String>> values = new java.util.HashMap<>();
        for (Series series : scrapes()) {
            series.labels().forEach((name, value) -> values.computeIfAbsent(series.name() + "/" + name, key -> new HashSet<>()).add(value));
        }
        List<String> problems = new ArrayList<>();
        for (JsonNode test : MonitoringFiles.YAML.readTree(TESTS.toFile()).path("tests")) {
            for (JsonNode input : test.path("input_series")) {
                Series series = Exposition.series(input.path("series").asText());
                if (MonitoringFiles.NOT_YET_EXPORTED.containsKey(series.name())) {
                    continue;
                }
                Set<String> own = new TreeSet<>(series.labels().keySet());
                own.removeAll(TARGET_LABELS);
                Set<Set<String>> real = scraped.get(series.name());
                if (real == null) {
                    problems.add(series + ": no such metric in the scrapes");
                } else if (!real.contains(own)) {
                    problems.add(series + ": labels " + own + ", scraped " + real);
                } else {
                    own.stream().filter(label -> !values.get(series.name() + "/" + label).contains(series.labels().get(label))
                                    && isEnumeration(label))
                            .forEach(label -> problems.add(series + ": " + label + "=" + series.labels().get(label) + ", scraped "
                                    + values.get(series.name() + "/" + label)));
                }
            }
        }

        assertThat(problems).isEmpty();
    }

    /** Labels whose values are a fixed set the code defines (not names users choose, such as policy or rule). */
    private static boolean isEnumeration(String label) {
        return Set.of("state", "reason", "result", "success", "limit_type", "failure_mode", "target", "scope", "group", "version")
                .contains(label);
    }

    static List<Series> scrapes() {
        List<Series> all = new ArrayList<>();
        for (String file : List.of("sidecar-scrape.txt", "operator-scrape.txt")) {
            all.addAll(Exposition.parse(MonitoringFiles.read(Path.of("src", "test", "resources", "monitoring", file))));
        }
        return all;
    }

    /** For each metric, the label names of its series, without the labels the scrape would replace ({@code namespace}). */
    static Map<String, Set<Set<String>>> labelNamesByMetric(List<Series> scrape) {
        return scrape.stream().collect(Collectors.groupingBy(Series::name, Collectors.mapping(series -> {
            Set<String> names = new TreeSet<>(series.labels().keySet());
            names.removeAll(TARGET_LABELS);
            return (Set<String>) names;
        }, Collectors.toSet())));
    }

    /** GitHub's anchor of a Markdown heading: lower case, punctuation but hyphens dropped, spaces to hyphens. */
    static String githubAnchor(String heading) {
        return heading.trim().toLowerCase().replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }
}
