package dev.sluice.operator;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.flags.Flags;
import dev.sluice.operator.inject.InjectionSettings;
import dev.sluice.operator.monitoring.LogFlags;
import dev.sluice.operator.webhook.WebhookSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How the operator runs, from command-line flags ({@code --name=value} or {@code --name value}) or,
 * failing those, environment variables.
 *
 * @param namespaces the namespaces to watch; empty watches all
 * @param httpPort the port of /healthz, /readyz and /metrics (0 picks a free one)
 * @param leaderElection whether to run only while holding the Lease (on by default inside a cluster)
 * @param leaseName the Lease's name
 * @param leaseNamespace the Lease's namespace; null is the namespace the client is configured for
 * @param trustedProxies addresses or CIDR ranges whose X-Forwarded-For the sidecars believe
 * @param logLevel the root log level, upper case: TRACE, DEBUG, INFO, WARN or ERROR
 * @param jsonLogs whether logs are JSON lines rather than text
 * @param serverSideApply whether status is written with server-side apply (off only against test servers without it)
 * @param webhook how the Job admission webhook of JobQuotas is served
 * @param redis where the sidecars of {@code scope: Global} policies keep their shared counters, rendered into
 *     every namespace's document; null when no Redis is configured (Global policies then apply their failure mode)
 * @param injection whether and how pods get the sidecar injected (served by the webhook server, so only with {@code webhook} on)
 * @param reportInterval how often the leader reads every sidecar's report for the resources' live status; zero reads none
 *     (status then says only whether a resource is rendered)
 */
public record OperatorSettings(
        Set<String> namespaces,
        int httpPort,
        boolean leaderElection,
        String leaseName,
        String leaseNamespace,
        List<String> trustedProxies,
        String logLevel,
        boolean jsonLogs,
        boolean serverSideApply,
        WebhookSettings webhook,
        RedisConfig redis,
        InjectionSettings injection,
        Duration reportInterval) {

    public static final int DEFAULT_HTTP_PORT = 8081;
    /** Every flag; each falls back to its environment variable SLUICE_<NAME>. */
    static final Set<String> FLAGS = flags();
    /** Added to the default webhook configurations when injection is on: the chart's pod injection configuration for a release named sluice. */
    public static final String DEFAULT_POD_CONFIGURATION = "sluice-pods";
    public static final String DEFAULT_LEASE_NAME = "sluice-operator";
    public static final String DEFAULT_LOG_LEVEL = LogFlags.DEFAULT_LEVEL;
    public static final Duration DEFAULT_REPORT_INTERVAL = Duration.ofSeconds(2);
    /** Below this, rounds of 1 s timeouts would overlap. */
    static final Duration MIN_REPORT_INTERVAL = Duration.ofMillis(500);
    public static final String USAGE = """
            Usage: java -jar sluice-operator.jar [options]   (runs against the current kubeconfig, or in-cluster config)
              --namespaces=a,b        namespaces to watch (env SLUICE_NAMESPACES; default: all)
              --http-port=N           port of /healthz, /readyz, /metrics (env SLUICE_HTTP_PORT; default 8081)
              --leader-election=B     hold a Lease to run (env SLUICE_LEADER_ELECTION; default true in a cluster, false outside)
              --lease-name=NAME       the Lease (env SLUICE_LEASE_NAME; default sluice-operator)
              --lease-namespace=NS    the Lease's namespace (env SLUICE_LEASE_NAMESPACE; default: the client's namespace)
              --trusted-proxies=a,b   CIDRs whose X-Forwarded-For sidecars believe (env SLUICE_TRUSTED_PROXIES; default none)
              --log-level=L           trace, debug, info, warn or error, any case (env SLUICE_LOG_LEVEL; default info)
              --log-format=F          text or json (env SLUICE_LOG_FORMAT; default text)
              --redis-config=FILE     the sidecars' Redis for scope Global: a YAML file with the sidecar document's
                                      redis: section (env SLUICE_REDIS_CONFIG; default none, see docs/redis.md)
              --report-interval=D     how often the leader reads every sidecar's /report for live status, e.g. 2s or
                                      500ms; 0 reads none (env SLUICE_REPORT_INTERVAL; default 2s, see docs/operator.md)
            """ + WebhookSettings.USAGE + InjectionSettings.USAGE;

    public OperatorSettings {
        namespaces = Set.copyOf(namespaces);
        trustedProxies = List.copyOf(trustedProxies);
        webhook = webhook == null ? WebhookSettings.disabled() : webhook;
        injection = injection == null ? InjectionSettings.disabled() : injection;
        reportInterval = reportInterval == null ? Duration.ZERO : reportInterval;
        if (reportInterval.isNegative()) {
            throw new IllegalArgumentException("--report-interval must not be negative, got " + reportInterval);
        }
        if (injection.enabled() && !webhook.enabled()) {
            throw new IllegalArgumentException("--injection=true needs the webhook server, which serves the pod injection webhook:"
                    + " set --webhook=true (env SLUICE_WEBHOOK), or --injection=false");
        }
    }

    /** Without reading the sidecars' reports. */
    public OperatorSettings(Set<String> namespaces, int httpPort, boolean leaderElection, String leaseName, String leaseNamespace,
            List<String> trustedProxies, String logLevel, boolean jsonLogs, boolean serverSideApply, WebhookSettings webhook, RedisConfig redis,
            InjectionSettings injection) {
        this(namespaces, httpPort, leaderElection, leaseName, leaseNamespace, trustedProxies, logLevel, jsonLogs, serverSideApply, webhook, redis,
                injection, Duration.ZERO);
    }

    /** Without sidecar injection. */
    public OperatorSettings(Set<String> namespaces, int httpPort, boolean leaderElection, String leaseName, String leaseNamespace,
            List<String> trustedProxies, String logLevel, boolean jsonLogs, boolean serverSideApply, WebhookSettings webhook, RedisConfig redis) {
        this(namespaces, httpPort, leaderElection, leaseName, leaseNamespace, trustedProxies, logLevel, jsonLogs, serverSideApply, webhook, redis,
                InjectionSettings.disabled());
    }

    private static Set<String> flags() {
        Set<String> flags = new HashSet<>(Set.of("namespaces", "http-port", "leader-election", "lease-name", "lease-namespace",
                "trusted-proxies", "log-level", "log-format", "webhook", "webhook-port", "webhook-bind", "webhook-url", "webhook-service",
                "webhook-cert-dir", "webhook-secret", "webhook-configurations", "redis-config", "report-interval"));
        flags.addAll(InjectionSettings.FLAGS);
        return Set.copyOf(flags);
    }

    /** These settings reading the sidecars' reports every {@code interval} (zero: never). */
    public OperatorSettings withReportInterval(Duration interval) {
        return new OperatorSettings(namespaces, httpPort, leaderElection, leaseName, leaseNamespace, trustedProxies, logLevel, jsonLogs,
                serverSideApply, webhook, redis, injection, interval);
    }

    public boolean reportsEnabled() {
        return !reportInterval.isZero();
    }

    /** Settings for tests against a mock API server: all namespaces, a free port, no Lease, no server-side apply, no sidecar reports. */
    public static OperatorSettings forTests() {
        return new OperatorSettings(Set.of(), 0, false, DEFAULT_LEASE_NAME, null, List.of(), DEFAULT_LOG_LEVEL, false, false,
                WebhookSettings.disabled(), null);
    }

    public static OperatorSettings parse(String[] args, Map<String, String> env) {
        UnaryOperator<String> setting = Flags.settings(args, env, FLAGS, USAGE);
        boolean inCluster = env.containsKey("KUBERNETES_SERVICE_HOST");
        String leaderElection = setting.apply("leader-election");
        String logLevel = LogFlags.level(setting.apply("log-level"));
        boolean jsonLogs = LogFlags.json(setting.apply("log-format"));
        String port = setting.apply("http-port");
        String leaseName = setting.apply("lease-name");
        InjectionSettings injection = InjectionSettings.parse(setting);
        WebhookSettings webhook = WebhookSettings.parse(setting, inCluster);
        if (injection.enabled() && setting.apply("webhook-configurations") == null) {
            // Else the pod webhook's configuration would never get the caBundle, and the API server could not call it.
            List<String> configurations = new ArrayList<>(webhook.configurations());
            configurations.add(DEFAULT_POD_CONFIGURATION);
            webhook = new WebhookSettings(webhook.enabled(), webhook.bindAddress(), webhook.port(), webhook.url(), webhook.service(),
                    webhook.certDir(), webhook.secret(), configurations);
        }
        return new OperatorSettings(
                Set.copyOf(Flags.list(setting.apply("namespaces"))),
                port == null ? DEFAULT_HTTP_PORT : Flags.port("--http-port", port),
                leaderElection == null ? inCluster : Flags.bool("--leader-election", leaderElection),
                leaseName == null ? DEFAULT_LEASE_NAME : leaseName,
                setting.apply("lease-namespace"),
                Flags.list(setting.apply("trusted-proxies")),
                logLevel,
                jsonLogs,
                true,
                webhook,
                redisConfig(setting.apply("redis-config")),
                injection,
                reportInterval(setting.apply("report-interval")));
    }

    /** {@code --report-interval}: a duration such as 2s or 500ms, or 0 to read no reports. */
    static Duration reportInterval(String value) {
        if (value == null) {
            return DEFAULT_REPORT_INTERVAL;
        }
        if (value.trim().equals("0")) {
            return Duration.ZERO;
        }
        Duration interval = Flags.duration("--report-interval", value.trim());
        if (!interval.isZero() && interval.compareTo(MIN_REPORT_INTERVAL) < 0) {
            throw new IllegalArgumentException("--report-interval must be 0 (off) or at least " + MIN_REPORT_INTERVAL.toMillis()
                    + "ms, got '" + value + "'");
        }
        return interval;
    }

    /**
     * The {@code redis:} section of a sidecar document in a file, checked by the sidecar's own validator so
     * that a mistake is reported at start-up with the field's path, not by every sidecar later.
     */
    static RedisConfig redisConfig(String file) {
        if (file == null) {
            return null;
        }
        try {
            SidecarConfig document = ConfigLoader.parseUnvalidated(Files.readString(Path.of(file)));
            List<FieldError> errors = ConfigValidator.validate(document);
            if (!errors.isEmpty()) {
                throw new InvalidConfigException(errors);
            }
            if (document.redis() == null || !document.policies().isEmpty()) {
                throw new IllegalArgumentException("--redis-config " + file + " must hold a redis: section and nothing else");
            }
            return document.redis();
        } catch (IOException e) {
            throw new IllegalArgumentException("--redis-config " + file + " cannot be read: " + e.getMessage());
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("--redis-config " + file + ": " + e.getMessage());
        }
    }
}
