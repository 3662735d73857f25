package dev.sluice.sidecar;

import dev.sluice.api.flags.Flags;
import dev.sluice.sidecar.drain.DrainToken;
import dev.sluice.sidecar.http.Forwarder;
import dev.sluice.sidecar.http.UpstreamClient;
import dev.sluice.sidecar.watch.ConfigMapWatchSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How a sidecar process is started, from command-line flags ({@code --name value} or {@code --name=value})
 * or, failing those, environment variables; a blank value counts as none.
 *
 * @param configFile the configuration document (YAML or JSON), reloaded when it changes
 * @param upstream the app's base URL, normally on loopback
 * @param bindAddress the address the traffic and admin ports listen on
 * @param port the traffic port (0 picks a free one)
 * @param adminPort the admin port (0 picks a free one)
 * @param podLabelsFile the pod's labels in the downward API's format; null runs standalone, where every policy applies
 * @param upstreamTimeout the longest a proxied request may take before 504
 * @param reloadInterval how often the configuration file is checked for changes
 * @param connectionsPerThread upstream keep-alive connections per I/O thread
 * @param shutdownGrace how long in-flight requests may take to finish on shutdown
 * @param configOptional whether a missing config file means nothing to enforce (traffic passes through)
 *     rather than an error: a ConfigMap volume marked optional is empty until the ConfigMap exists
 * @param drainToken the secret {@code /drain} asks for ({@code SLUICE_DRAIN_TOKEN}); null turns {@code /drain} off
 * @param logLevel the root log level, upper case; {@link Main} sets it, a {@link Sidecar} does not read it
 * @param configWatch the ConfigMap watched on the API server for the configuration ({@code --config-watch}); null
 *     reads the file only
 * @param upgradeIdleTimeout how long an upgraded connection (a WebSocket) may carry nothing either way before it is closed
 * @param caps the most client connections and parked requests the traffic port holds ({@code --max-connections},
 *     {@code --max-parked})
 */
public record SidecarSettings(
        Path configFile,
        URI upstream,
        String bindAddress,
        int port,
        int adminPort,
        Path podLabelsFile,
        Duration upstreamTimeout,
        Duration reloadInterval,
        int connectionsPerThread,
        Duration shutdownGrace,
        boolean configOptional,
        DrainToken drainToken,
        String logLevel,
        ConfigMapWatchSettings configWatch,
        Duration upgradeIdleTimeout,
        OverloadCaps caps) {

    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_ADMIN_PORT = 9090;
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECTIONS_PER_THREAD = 32;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final String DEFAULT_LOG_LEVEL = "INFO";
    public static final Duration DEFAULT_UPGRADE_IDLE_TIMEOUT = Forwarder.DEFAULT_TUNNEL_IDLE_TIMEOUT;

    /** Validate the configuration and exit instead of serving. */
    static final String CHECK = "check";
    /** A switch that also reads {@code SLUICE_CONFIG_OPTIONAL} (true or false) and {@code --config-optional=false}. */
    private static final String CONFIG_OPTIONAL = "config-optional";
    /** The flags that take a value, each with its environment variable. */
    private static final Map<String, String> FLAGS = flags();
    static final String USAGE = """
            Usage: java -jar sluice-sidecar.jar --config FILE --upstream URL [options]

              --config FILE            configuration document, YAML or JSON        (SLUICE_CONFIG)
              --config-optional        a missing config file enforces nothing (traffic passes
                                       through) until it appears, instead of an error (SLUICE_CONFIG_OPTIONAL=true)
              --upstream URL           the app behind the sidecar, e.g. http://127.0.0.1:8081, or
                                       h2c://127.0.0.1:8081 for an app that speaks HTTP/2 in
                                       cleartext (gRPC)                             (SLUICE_UPSTREAM)
              --port N                 traffic port, default 8080                   (SLUICE_PORT)
              --admin-port N           admin port, default 9090                     (SLUICE_ADMIN_PORT)
              --bind ADDRESS           address both ports listen on, default 0.0.0.0 (SLUICE_BIND_ADDRESS)
              --pod-labels FILE        the pod's labels (downward API file); without it
                                       every policy applies                         (SLUICE_POD_LABELS)
              --upstream-timeout DUR   504 after this long, default 30s             (SLUICE_UPSTREAM_TIMEOUT)
              --upgrade-idle-timeout DUR
                                       close an upgraded connection (WebSocket) that carried
                                       nothing either way for this long, default 1h; the
                                       upstream timeout covers its handshake only (SLUICE_UPGRADE_IDLE_TIMEOUT)
              --reload-interval DUR    how often the config file is checked, default 2s (SLUICE_RELOAD_INTERVAL)
              --log-level LEVEL        trace, debug, info, warn or error, any case; default info (SLUICE_LOG_LEVEL)
              --max-connections N      client connections the traffic port holds open at once; more wait
                                       unaccepted until one closes. Default 3/8 of the open-file
                                       limit, at most 4096                          (SLUICE_MAX_CONNECTIONS)
              --max-parked N           requests waiting at concurrency gates at once (all policies);
                                       more are refused with 503 at once. Default half of
                                       --max-connections                            (SLUICE_MAX_PARKED)
              --config-watch NS/NAME   also watch that ConfigMap on the API server (key named like the
                                       --config file): changes apply at once, not when the kubelet
                                       refreshes the volume                        (SLUICE_CONFIG_WATCH)
              --api-token FILE         the token the watch authenticates with, read at every connect,
                                       default /var/run/secrets/sluice/token        (SLUICE_API_TOKEN)
              --api-ca FILE            the CA the API server is trusted by,
                                       default /var/run/secrets/sluice/ca.crt       (SLUICE_API_CA)
              --api-server URL         the API server, instead of KUBERNETES_SERVICE_HOST
                                       and KUBERNETES_SERVICE_PORT                   (SLUICE_API_SERVER)
              --check                  validate the configuration and the files it names (Redis
                                       password, TLS), print the problems, and exit (0 valid, 2 invalid)
              --version                print the sidecar's version and the newest document version it reads

            Environment only:
              SLUICE_REDIS_PASSWORD    the Redis password of Global policies, unless the
                                       configuration's redis.passwordFile names a file
              SLUICE_DRAIN_TOKEN       the secret the admin port's /drain asks for in the
                                       X-Sluice-Drain-Token header; without it /drain is off
            """;

    private static Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>();
        for (String flag : new String[] {"config", "upstream", "port", "admin-port", "pod-labels", "upstream-timeout", "reload-interval",
            "log-level", CONFIG_OPTIONAL, "config-watch", "api-token", "api-ca", "api-server", "upgrade-idle-timeout", "max-connections", "max-parked"}) {
            flags.put(flag, Flags.variable(flag));
        }
        flags.put("bind", "SLUICE_BIND_ADDRESS");
        return Map.copyOf(flags);
    }

    /** The sidecar's flags and {@code --check}, read with {@link Flags}; unknown flags and stray arguments are errors. */
    static UnaryOperator<String> flags(String[] args, Map<String, String> env) {
        UnaryOperator<String> flags = Flags.parse(args, env, FLAGS, Set.of(CHECK, CONFIG_OPTIONAL));
        return name -> {
            String value = flags.apply(name);
            return value == null || value.isBlank() ? null : value;
        };
    }

    /** The configuration file, which both serving and {@code --check} need. */
    static Path configFile(UnaryOperator<String> flags) {
        return Path.of(required(flags, "config"));
    }

    /**
     * Settings to serve with, the drain token from {@code env}; every problem is an {@link IllegalArgumentException}
     * naming the flag and the value.
     */
    static SidecarSettings of(UnaryOperator<String> flags, Map<String, String> env) {
        String labels = flags.apply("pod-labels");
        String port = flags.apply("port");
        String adminPort = flags.apply("admin-port");
        String bind = flags.apply("bind");
        String timeout = flags.apply("upstream-timeout");
        String reload = flags.apply("reload-interval");
        String optional = flags.apply(CONFIG_OPTIONAL);
        String logLevel = flags.apply("log-level");
        String upgradeIdle = flags.apply("upgrade-idle-timeout");
        Path configFile = configFile(flags);
        return new SidecarSettings(
                configFile,
                upstreamUri(required(flags, "upstream")),
                bind == null ? DEFAULT_BIND_ADDRESS : bind,
                port == null ? DEFAULT_PORT : Flags.port("--port", port),
                adminPort == null ? DEFAULT_ADMIN_PORT : Flags.port("--admin-port", adminPort),
                labels == null ? null : Path.of(labels),
                timeout == null ? DEFAULT_UPSTREAM_TIMEOUT : Flags.duration("--upstream-timeout", timeout),
                reload == null ? DEFAULT_RELOAD_INTERVAL : Flags.duration("--reload-interval", reload),
                DEFAULT_CONNECTIONS_PER_THREAD,
                DEFAULT_SHUTDOWN_GRACE,
                optional != null && Flags.bool("--config-optional", optional),
                DrainToken.of(env.get(DrainToken.ENVIRONMENT_VARIABLE)),
                logLevel == null ? DEFAULT_LOG_LEVEL : Flags.logLevel("--log-level", logLevel),
                configWatch(flags, configFile, env),
                upgradeIdle == null ? DEFAULT_UPGRADE_IDLE_TIMEOUT : Flags.duration("--upgrade-idle-timeout", upgradeIdle),
                caps(flags));
    }

    /**
     * The caps given by flag, each defaulting as {@link OverloadCaps#defaults()} says; {@code --max-connections} alone
     * also lowers the default of {@code --max-parked} to half of it.
     */
    private static OverloadCaps caps(UnaryOperator<String> flags) {
        String connections = flags.apply("max-connections");
        String parked = flags.apply("max-parked");
        OverloadCaps caps = OverloadCaps.defaults();
        if (connections != null) {
            int max = count("--max-connections", connections, 1);
            caps = new OverloadCaps(max, Math.max(1, max / 2));
        }
        return parked == null ? caps : caps.withMaxParked(count("--max-parked", parked, 0));
    }

    /** A whole number of at least {@code min} given to {@code flag}; anything else is an error naming the flag and the value. */
    private static int count(String flag, String value, int min) {
        try {
            int count = Integer.parseInt(value.trim());
            if (count >= min) {
                return count;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException(flag + " '" + value + "' must be a whole number of at least " + min);
    }

    /** The watch {@code --config-watch} asks for, on the key named like the config file; null without the flag. */
    private static ConfigMapWatchSettings configWatch(UnaryOperator<String> flags, Path configFile, Map<String, String> env) {
        String configMap = flags.apply("config-watch");
        String token = flags.apply("api-token");
        String ca = flags.apply("api-ca");
        if (configMap == null) {
            return null;
        }
        return ConfigMapWatchSettings.of(configMap, configFile.getFileName().toString(), flags.apply("api-server"),
                token == null ? ConfigMapWatchSettings.DEFAULT_TOKEN_FILE : Path.of(token),
                ca == null ? ConfigMapWatchSettings.DEFAULT_CA_FILE : Path.of(ca), env);
    }

    private static String required(UnaryOperator<String> flags, String flag) {
        String value = flags.apply(flag);
        if (value == null) {
            throw new IllegalArgumentException("--" + flag + " (or " + FLAGS.get(flag) + ") is required");
        }
        return value;
    }

    private static URI upstreamUri(String value) {
        try {
            URI uri = URI.create(value);
            if (!UpstreamClient.SCHEMES.contains(String.valueOf(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("--upstream '" + value + "' must be an http://, https:// or h2c:// URL with a host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("--upstream") ? e.getMessage()
                    : "--upstream '" + value + "' is not a URL: " + e.getMessage());
        }
    }

    /** Settings for a sidecar on loopback with free ports, as tests and the demo start it. */
    public static SidecarSettings loopback(Path configFile, URI upstream) {
        return new SidecarSettings(configFile, upstream, "127.0.0.1", 0, 0, null, DEFAULT_UPSTREAM_TIMEOUT,
                Duration.ofMillis(200), DEFAULT_CONNECTIONS_PER_THREAD, Duration.ofSeconds(2), false, null, DEFAULT_LOG_LEVEL, null,
                DEFAULT_UPGRADE_IDLE_TIMEOUT, OverloadCaps.defaults());
    }

    public SidecarSettings withPodLabels(Path file) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, file, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, drainToken, logLevel, configWatch, upgradeIdleTimeout, caps);
    }

    public SidecarSettings withUpstreamTimeout(Duration timeout) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, timeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, drainToken, logLevel, configWatch, upgradeIdleTimeout, caps);
    }

    public SidecarSettings withConfigOptional() {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, true, drainToken, logLevel, configWatch, upgradeIdleTimeout, caps);
    }

    public SidecarSettings withDrainToken(String token) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, DrainToken.of(token), logLevel, configWatch, upgradeIdleTimeout, caps);
    }

    public SidecarSettings withShutdownGrace(Duration grace) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, grace, configOptional, drainToken, logLevel, configWatch, upgradeIdleTimeout, caps);
    }

    public SidecarSettings withUpgradeIdleTimeout(Duration timeout) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, drainToken, logLevel, configWatch, timeout, caps);
    }

    public SidecarSettings withCaps(OverloadCaps overloadCaps) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, drainToken, logLevel, configWatch, upgradeIdleTimeout, overloadCaps);
    }

    public SidecarSettings withConfigWatch(ConfigMapWatchSettings watch) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace, configOptional, drainToken, logLevel, watch, upgradeIdleTimeout, caps);
    }
}
