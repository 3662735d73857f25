package dev.sluice.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.api.inject.InjectionNames;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.Resources;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.inject.InjectionSettings;
import dev.sluice.operator.jobs.JobUpdateWebhook;
import dev.sluice.operator.monitoring.Exposition.Series;
import dev.sluice.operator.monitoring.MonitoringFiles.Query;
import dev.sluice.operator.monitoring.MonitoringFiles.Rule;
import dev.sluice.operator.webhook.WebhookSettings;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules and the dashboard against a real Prometheus (Debian's) scraping a real sidecar process and the
 * operator (on the mock API server), on loopback, evaluating every second. The rules are the chart's file
 * with only {@code for:} shortened (the rewrite is checked). Under an overload of one rule the rejection
 * alert fires, then resolves once the load stops; meanwhile every recording rule, every alert's condition
 * and every dashboard query returns series, except those of {@link MonitoringFiles#NOT_YET_EXPORTED}
 * metrics, which must return none (so the list is shortened once they are exported); and no label carries
 * a client's address or API key.
 */
@EnableKubernetesMockClient(crud = true)
class LivePrometheusIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String SHORT_FOR = "5s";
    private static final Pattern FOR_LINE = Pattern.compile("(?m)^(\\s+for: )\\S+$");
    private static final int CLIENTS = 200;
    private static final int API_KEYS = 50;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(8, daemon("load-client"))).connectTimeout(Duration.ofSeconds(2)).build();
    /** Rule burst of policy api: 20 requests/s for everyone together, under the 100/s overload below: ~80% rejected. */
    private static final String SIDECAR_CONFIG = """
            trustedProxies: [127.0.0.1/32]
            redis:
              mode: Standalone
              addresses: ["127.0.0.1:1"]
              timeout: 50ms
              connectTimeout: 50ms
            policies:
              - name: api
                mode: Enforce
                rules:
                  - name: burst
                    match: {path: {prefix: /api/}}
                    limits: [{requests: 20, period: 1s}]
                  - name: per-client
                    match: {path: {prefix: /api/}}
                    key: [{type: ClientIP}]
                    limits: [{requests: 1000, period: 1s}]
                backpressure:
                  concurrency: {maxConcurrent: 4, queueSize: 0}
                  shedding:
                    priorityHeader: X-Priority
                    defaultPriority: normal
                    priorities:
                      - {name: critical, shedAtUtilisation: 100}
                      - {name: normal, shedAtUtilisation: 80}
                      - {name: low, shedAtUtilisation: 50}
              - name: shared
                scope: Global
                failureMode: Open
                rules:
                  - name: all
                    limits: [{requests: 1000, period: 1s}]
              - name: strict
                scope: Global
                failureMode: Closed
                rules:
                  - name: all
                    match: {path: {prefix: /strict}}
                    limits: [{requests: 1000, period: 1s}]
              - name: candidate
                mode: Shadow
                rules:
                  - name: per-key
                    key: [{type: Header, header: X-Api-Key}]
                    limits: [{requests: 1, period: 1s}]
            breakers:
              - name: app
                namespace: shop
                target: Inbound
                failureRateThreshold: 100
                minimumNumberOfCalls: 1000
                slidingWindow: {type: Count, size: 1000}
                timeout: 2s
                retry: {maxAttempts: 3, backoffBase: 1ms, backoffMax: 5ms, budgetPercent: 20, minRetriesPerSecond: 1}
            """;

    static KubernetesClient client;
    static KubernetesMockServer server;

    @TempDir
    Path directory;

    @Test
    void theRejectionAlertFiresUnderOverloadAndResolvesAndEveryExpressionFindsSeries() throws Exception {
        String rules = MonitoringFiles.read(MonitoringFiles.RULES);
        String live = shortened(rules);
        assertOnlyForChanged(rules, live);
        Path rulesFile = Files.writeString(directory.resolve("sluice-rules.yaml"), live);

        long begun = System.nanoTime();
        HttpServer upstream = upstream();
        ScheduledExecutorService load = Executors.newScheduledThreadPool(2, daemon("load"));
        try (SluiceOperator operator = startOperator();
             LiveSidecar sidecar = LiveSidecar.start(directory, SIDECAR_CONFIG, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()));
             LivePrometheus prometheus = LivePrometheus.start(directory, prometheusConfig(rulesFile, sidecar.adminPort(), operator.httpPort()))) {
            await().atMost(PATIENCE).until(sidecar::ready);
            // A pod whose sidecar is this one, so that the leader reads its report: sluice_sidecars_stale{namespace}.
            client.resource(injectedPod("shop", "web-2", sidecar.adminPort())).create();
            await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> assertThat(prometheus.targets())
                    .extracting(target -> target.path("health").asText()).containsExactly("up", "up"));

            long started = System.nanoTime();
            System.out.printf("targets up after %d ms%n", (System.nanoTime() - begun) / 1_000_000);
            AtomicInteger sent = new AtomicInteger();
            load.scheduleAtFixedRate(() -> overload(sidecar.traffic(), sent.getAndIncrement()), 0, 10, TimeUnit.MILLISECONDS);
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(firing(prometheus, "SluiceHighRejectionRate"))
                    .as("SluiceHighRejectionRate firing").singleElement()
                    .satisfies(labels -> assertThat(labels).containsEntry("namespace", "shop").containsEntry("policy", "api")
                            .containsEntry("rule", "burst").containsEntry("limit_type", "endpoint").containsEntry("severity", "warning")));

            System.out.printf("SluiceHighRejectionRate firing %d ms after the overload started%n", (System.nanoTime() - started) / 1_000_000);
            assertEveryExpressionFindsSeries(prometheus);
            assertNoLabelCarriesAClientIdentity(prometheus);
            assertTheSavedScrapesStillHaveTheirLabels(sidecar, operator);

            load.shutdownNow();
            long stopped = System.nanoTime();
            await().atMost(Duration.ofSeconds(150)).untilAsserted(() -> assertThat(prometheus.alerts())
                    .as("alerts once the load stopped").noneMatch(alert -> "SluiceHighRejectionRate".equals(alert.path("labels").path("alertname").asText())));
            System.out.printf("SluiceHighRejectionRate resolved %d ms after the load stopped%n", (System.nanoTime() - stopped) / 1_000_000);
        } finally {
            load.shutdownNow();
            upstream.stop(0);
        }
    }

    /** The chart's rules with every {@code for:} set to {@value #SHORT_FOR}, nothing else touched. */
    static String shortened(String rules) {
        return FOR_LINE.matcher(rules).replaceAll("$1" + SHORT_FOR);
    }

    private static void assertOnlyForChanged(String rules, String live) {
        List<Rule> original = MonitoringFiles.rules(rules);
        List<Rule> rewritten = MonitoringFiles.rules(live);
        assertThat(rewritten).hasSameSizeAs(original);
        for (int i = 0; i < original.size(); i++) {
            Rule was = original.get(i);
            Rule is = rewritten.get(i);
            assertThat(is).usingRecursiveComparison().ignoringFields("forDuration").isEqualTo(was);
            if (was.alert() != null) {
                assertThat(was.forDuration()).as(was.alert() + " for, in the chart").isNotEqualTo(SHORT_FOR);
                assertThat(is.forDuration()).as(was.alert() + " for, live").isEqualTo(SHORT_FOR);
            }
        }
        assertThat(live.lines().count()).isEqualTo(rules.lines().count());
    }

    private void assertEveryExpressionFindsSeries(LivePrometheus prometheus) {
        Map<String, String> expressions = new LinkedHashMap<>();
        for (Rule rule : MonitoringFiles.rules()) {
            if (rule.record() != null) {
                expressions.put("recording rule " + rule.record(), rule.expr());
            } else {
                String condition = MonitoringFiles.condition(rule.expr());
                assertThat(condition).as(rule.alert() + ": an alert's expression is a condition compared with a number").isNotNull();
                expressions.put("alert " + rule.alert(), condition);
            }
        }
        for (Query query : MonitoringFiles.dashboardQueries()) {
            expressions.put("panel " + query.panel() + ": " + query.expr(), query.expr());
        }
        Map<String, String> empty = new TreeMap<>();
        Map<String, String> pending = new TreeMap<>();
        // Give every 1m window time to fill: the slower paths (retries, shedding) send a few requests a second.
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            empty.clear();
            pending.clear();
            expressions.forEach((what, expr) -> {
                boolean notYetExported = MonitoringFiles.NOT_YET_EXPORTED.keySet().stream().anyMatch(expr::contains);
                boolean found = !prometheus.query(expr).isEmpty();
                if (notYetExported && found) {
                    pending.put(what, "finds series: remove its metric from MonitoringFiles.NOT_YET_EXPORTED");
                } else if (!notYetExported && !found) {
                    empty.put(what, expr);
                }
            });
            assertThat(empty).as("expressions without series").isEmpty();
            assertThat(pending).as("expressions of metrics listed as not yet exported").isEmpty();
        });
    }

    /**
     * Cardinality is bounded by policies and rules: {@value #CLIENTS} client addresses and {@value #API_KEYS}
     * API keys went through, and no label of any series names one, nor is called after one.
     */
    private static void assertNoLabelCarriesAClientIdentity(LivePrometheus prometheus) {
        List<JsonNode> series = prometheus.series("{job=~\"sluice-sidecars|sluice-operator\"}");
        Set<String> names = new TreeSet<>();
        List<String> identities = new ArrayList<>();
        for (JsonNode labels : series) {
            labels.fields().forEachRemaining(label -> {
                names.add(label.getKey());
                String value = label.getValue().asText();
                if (value.matches(".*\\b10\\.9\\.\\d+\\.\\d+\\b.*") || value.matches(".*\\bkey-\\d+\\b.*")) {
                    identities.add(labels.path("__name__").asText() + " " + label.getKey() + "=" + value);
                }
            });
        }
        assertThat(series).hasSizeGreaterThan(100);
        assertThat(identities).as("label values that are a client's address or API key").isEmpty();
        assertThat(names).as("label names").noneMatch(name -> name.matches("(?i).*(ip|addr|client|key|user|token|remote|peer).*"));
        assertThat(prometheus.query("count(rate_limit_requests_total)").get(0).path("value").get(1).asInt())
                .as("rate_limit_requests_total series: one per rule (api/burst, api/per-client, shared/all, strict/all,"
                        + " candidate/per-key), whatever the clients").isEqualTo(5);
    }

    /** The scrapes the promtool tests' label sets come from (src/test/resources/monitoring) still describe what the processes export. */
    private void assertTheSavedScrapesStillHaveTheirLabels(LiveSidecar sidecar, SluiceOperator operator) throws Exception {
        String sidecarScrape = sidecar.scrape();
        String operatorScrape = operator.registry().scrape();
        Path saved = Files.createDirectories(Path.of("target", "monitoring"));
        Files.writeString(saved.resolve("sidecar-scrape.txt"), sidecarScrape);
        Files.writeString(saved.resolve("operator-scrape.txt"), operatorScrape);
        List<Series> now = new ArrayList<>(Exposition.parse(sidecarScrape));
        now.addAll(Exposition.parse(operatorScrape));
        Map<String, Set<Set<String>>> live = AlertRulesTest.labelNamesByMetric(now);
        Map<String, Set<Set<String>>> recorded = AlertRulesTest.labelNamesByMetric(AlertRulesTest.scrapes());
        List<String> gone = new ArrayList<>();
        recorded.forEach((metric, labelSets) -> {
            if (metric.startsWith("jvm_") || metric.startsWith("process_") || metric.startsWith("system_")) {
                return;
            }
            for (Set<String> labels : labelSets) {
                if (!live.getOrDefault(metric, Set.of()).contains(labels)) {
                    gone.add(metric + labels);
                }
            }
        });
        assertThat(gone).as("series of the saved scrapes no longer exported (refresh them from target/monitoring/)").isEmpty();
    }

    private static List<Map<String, String>> firing(LivePrometheus prometheus, String alertname) {
        return prometheus.alerts().stream()
                .filter(alert -> "firing".equals(alert.path("state").asText()) && alertname.equals(alert.path("labels").path("alertname").asText()))
                .map(alert -> {
                    Map<String, String> labels = new TreeMap<>();
                    alert.path("labels").fields().forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
                    return labels;
                }).collect(Collectors.toList());
    }

    /**
     * One tick of the load, every 10 ms: a request to /api/ from one of {@value #CLIENTS} clients with one of
     * {@value #API_KEYS} API keys (100/s: rule burst rejects most); every 25th a failing call (retries), every
     * 10th a slow low-priority one (shedding), every 50th one to the Closed Global policy.
     */
    private static void overload(URI sidecar, int tick) {
        send(sidecar.resolve("/api/items/" + (tick % 7)), "X-Forwarded-For", "10.9." + (tick % CLIENTS) / 250 + "." + (tick % CLIENTS) % 250,
                "X-Api-Key", "key-" + (tick % API_KEYS));
        if (tick % 25 == 0) {
            send(sidecar.resolve("/flaky"));
        }
        if (tick % 10 == 0) {
            send(sidecar.resolve("/slow"), "X-Priority", "low");
        }
        if (tick % 50 == 0) {
            send(sidecar.resolve("/strict"));
        }
    }

    private static void send(URI uri, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding());
    }

    /** The app behind the sidecar: /flaky answers 503 (retried, then exhausted), /slow takes 300 ms, the rest 200 at once. */
    private static HttpServer upstream() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                String path = exchange.getRequestURI().getPath();
                if (path.equals("/slow")) {
                    Thread.sleep(300);
                }
                exchange.sendResponseHeaders(path.equals("/flaky") ? 503 : 200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(16, daemon("upstream")));
        server.start();
        return server;
    }

    /**
     * The operator on the mock API server, with what makes each of its metrics exist: a JobQuota (concurrent_jobs_*),
     * a pod without the sidecar in a namespace labelled for injection (sluice_pods_without_sidecar), and a
     * RateLimitPolicy whose namespace holds a sluice-config ConfigMap that is not Sluice's, which the operator
     * refuses to overwrite: its reconciliations fail (operator_sdk_reconciliations_failed_total).
     */
    private static SluiceOperator startOperator() throws IOException {
        MockCluster.registerCrds(client);
        try (InputStream yaml = LivePrometheusIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        for (String namespace : List.of("sluice-system", "batch", "broken")) {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        client.resource(new NamespaceBuilder().withNewMetadata().withName("shop").addToLabels("sluice.dev/inject", "enabled").endMetadata()
                .build()).create();
        MockCluster.createPod(client, "shop", "web-1", "web");
        client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("broken").withName("sluice-config").endMetadata()
                .addToData("note", "written by hand").build()).create();
        // The API server's answer to the JobQuota reconciler's dry-run probe when both Job webhooks are called; the
        // CRUD mock would store the probe Job instead, and each pass would count one more running Job.
        server.expect().post().withPath("/apis/batch/v1/namespaces/batch/jobs?dryRun=All").andReturn(403, new StatusBuilder().withCode(403)
                .withReason("Forbidden").withMessage("admission webhook \"job-updates.sluice.dev\" denied the request: "
                        + JobUpdateWebhook.PROBE_ANSWER).build()).always();
        OperatorSettings settings = new OperatorSettings(Set.of(), 0, false, OperatorSettings.DEFAULT_LEASE_NAME, "sluice-system", List.of(),
                OperatorSettings.DEFAULT_LOG_LEVEL, false, false, WebhookSettings.loopback("sluice-system/sluice-webhook-tls", List.of()), null,
                InjectionSettings.enabled("localhost/sluice-sidecar:test")).withReportInterval(Duration.ofMillis(500));
        SluiceOperator operator = SluiceOperator.start(client, settings, Clock.systemUTC());
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace("batch").withName("quota").build());
        quota.setSpec(JobQuotaSpec.of(4));
        client.resource(quota).create();
        client.resource(Resources.policy("broken", "api").rule(Resources.rule("global", 100, "1s")).build()).create();
        client.resource(Resources.policy("batch", "api").rule(Resources.rule("global", 100, "1s")).build()).create();
        return operator;
    }

    /** A pod as the injector and the kubelet leave it: the sidecar's admin port on this machine, ready, Running at 127.0.0.1. */
    private static Pod injectedPod(String namespace, String name, int adminPort) {
        return new PodBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).addToLabels("app", "web").endMetadata()
                .withNewSpec()
                .addNewInitContainer().withName(InjectionNames.SIDECAR_CONTAINER).withImage("localhost/sluice-sidecar:test").withRestartPolicy("Always")
                .addNewPort().withName(InjectionNames.ADMIN_PORT_NAME).withContainerPort(adminPort).endPort().endInitContainer()
                .addNewContainer().withName("app").withImage("example/app").endContainer()
                .endSpec()
                .withNewStatus().withPhase("Running").withPodIP("127.0.0.1")
                .addNewInitContainerStatus().withName(InjectionNames.SIDECAR_CONTAINER).withReady(true).endInitContainerStatus()
                .endStatus()
                .build();
    }

    /**
     * Scrapes as the chart's PodMonitor and ServiceMonitor would label them: the sidecar's target carries its
     * pod's namespace and name; the operator's keeps its metrics' own namespace label (honor_labels).
     */
    private static String prometheusConfig(Path rules, int sidecarAdminPort, int operatorPort) {
        return """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: sluice-sidecars
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: shop, pod: web-1}
                  - job_name: sluice-operator
                    honor_labels: true
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: sluice-system, pod: sluice-operator-0}
                """.formatted(rules, sidecarAdminPort, operatorPort);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
