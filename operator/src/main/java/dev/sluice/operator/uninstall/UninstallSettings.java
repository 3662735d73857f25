package dev.sluice.operator.uninstall;

import dev.sluice.api.flags.Flags;
import dev.sluice.operator.monitoring.LogFlags;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What {@code java -jar sluice-operator.jar uninstall} releases, from flags ({@code --name=value} or
 * {@code --name value}) or, failing those, environment variables; the chart's pre-delete hook passes
 * flags.
 *
 * @param deployment the operator's Deployment, stopped first
 * @param namespaces the namespaces the operator watched; empty: all
 * @param lease the operator's leader Lease, deleted; null: none
 * @param webhookSecret the Secret the operator keeps its own CA and serving certificate in, deleted; null: none
 *     (cert-manager's Secret is cert-manager's)
 * @param stopTimeout how long to wait for the operator's pods to be gone
 * @param logLevel the root log level, upper case
 * @param jsonLogs whether logs are JSON lines rather than text
 */
public record UninstallSettings(
        ObjectName deployment,
        Set<String> namespaces,
        ObjectName lease,
        ObjectName webhookSecret,
        Duration stopTimeout,
        String logLevel,
        boolean jsonLogs) {

    /** The command's first argument. */
    public static final String COMMAND = "uninstall";
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(120);
    static final Set<String> FLAGS = Set.of("deployment", "namespaces", "lease", "webhook-secret", "stop-timeout", "log-level", "log-format");
    public static final String USAGE = """
            Usage: java -jar sluice-operator.jar uninstall --deployment=NS/NAME [options]
              Stops the operator and releases what it holds, so that nothing waits on it once it is gone:
              queued Jobs resumed, Sluice's finalizers and namespace labels removed, its Lease and webhook
              Secret deleted. Sluice resources and CRDs stay. Safe to run again.
              --deployment=NS/NAME    the operator's Deployment, scaled to 0 first (env SLUICE_DEPLOYMENT; required)
              --namespaces=a,b        the namespaces the operator watches (env SLUICE_NAMESPACES; default: all)
              --lease=NS/NAME         its leader Lease, deleted (env SLUICE_LEASE; default: none)
              --webhook-secret=NS/NAME  the Secret of its own webhook CA, deleted (env SLUICE_WEBHOOK_SECRET; default: none)
              --stop-timeout=D        how long to wait for its pods to be gone, e.g. 120s (env SLUICE_STOP_TIMEOUT; default 120s)
              --log-level=L           trace, debug, info, warn or error (env SLUICE_LOG_LEVEL; default info)
              --log-format=F          text or json (env SLUICE_LOG_FORMAT; default text)
            """;

    /** A namespaced object, by namespace and name. */
    public record ObjectName(String namespace, String name) {
        @Override
        public String toString() {
            return namespace + "/" + name;
        }
    }

    public UninstallSettings {
        namespaces = Set.copyOf(namespaces);
    }

    public static UninstallSettings parse(String[] args, Map<String, String> env) {
        UnaryOperator<String> setting = Flags.settings(args, env, FLAGS, USAGE);
        String deployment = setting.apply("deployment");
        if (deployment == null) {
            throw new IllegalArgumentException("--deployment (or SLUICE_DEPLOYMENT) is required: the operator's Deployment, as NS/NAME\n" + USAGE);
        }
        String logLevel = LogFlags.level(setting.apply("log-level"));
        boolean jsonLogs = LogFlags.json(setting.apply("log-format"));
        String stopTimeout = setting.apply("stop-timeout");
        Duration timeout = stopTimeout == null ? DEFAULT_STOP_TIMEOUT : Flags.duration("--stop-timeout", stopTimeout);
        return new UninstallSettings(
                objectName("--deployment", deployment),
                Set.copyOf(Flags.list(setting.apply("namespaces"))),
                optionalObjectName("--lease", setting.apply("lease")),
                optionalObjectName("--webhook-secret", setting.apply("webhook-secret")),
                timeout,
                logLevel,
                jsonLogs);
    }

    private static ObjectName optionalObjectName(String flag, String value) {
        return value == null || value.isBlank() ? null : objectName(flag, value);
    }

    /** NS/NAME, both parts present and without a further slash; anything else is an error naming the flag and the value. */
    static ObjectName objectName(String flag, String value) {
        String[] parts = value.trim().split("/", -1);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new IllegalArgumentException(flag + " must be NAMESPACE/NAME, got '" + value + "'");
        }
        return new ObjectName(parts[0], parts[1]);
    }
}
