package dev.sluice.sidecar;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.sidecar.config.ConfigFiles;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.redis.RedisPassword;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code java -jar sluice-sidecar.jar --config FILE --upstream URL [options]}; every flag has an environment variable. */
public final class Main {
    static final int EXIT_INVALID_CONFIG = 2;
    static final int EXIT_USAGE = 64;

    private static final String USAGE = """
            Usage: java -jar sluice-sidecar.jar --config FILE --upstream URL [options]

              --config FILE            configuration document, YAML or JSON        (SLUICE_CONFIG)
              --upstream URL           the app behind the sidecar, e.g. http://127.0.0.1:8081 (SLUICE_UPSTREAM)
              --port N                 traffic port, default 8080                   (SLUICE_PORT)
              --admin-port N           admin port, default 9090                     (SLUICE_ADMIN_PORT)
              --bind ADDRESS           address both ports listen on, default 0.0.0.0 (SLUICE_BIND_ADDRESS)
              --pod-labels FILE        the pod's labels (downward API file); without it
                                       every policy applies                         (SLUICE_POD_LABELS)
              --upstream-timeout DUR   504 after this long, default 30s             (SLUICE_UPSTREAM_TIMEOUT)
              --reload-interval DUR    how often the config file is checked, default 2s (SLUICE_RELOAD_INTERVAL)
              --check                  validate the configuration and the files it names (Redis
                                       password, TLS), print the problems, and exit (0 valid, 2 invalid)

            Environment only:
              SLUICE_REDIS_PASSWORD    the Redis password of Global policies, unless the
                                       configuration's redis.passwordFile names a file
            """;

    private Main() {
    }

    public static void main(String[] args) {
        int exit = run(args, System.getenv(), System.out, System.err);
        if (exit >= 0) {
            System.exit(exit);
        }
    }

    /** Runs the sidecar until the JVM stops; returns an exit code, or -1 while it keeps serving. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> options = new HashMap<>();
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                out.print(USAGE);
                return 0;
            }
            if (arg.equals("--check")) {
                check = true;
                continue;
            }
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                err.println("sluice-sidecar: unexpected argument '" + arg + "'");
                err.print(USAGE);
                return EXIT_USAGE;
            }
            options.put(arg.substring(2), args[++i]);
        }
        SidecarSettings settings;
        try {
            String config = option(options, env, "config", "SLUICE_CONFIG", null);
            if (config == null) {
                throw new IllegalArgumentException("--config (or SLUICE_CONFIG) is required");
            }
            if (check) {
                return check(Path.of(config), out, err);
            }
            String upstream = option(options, env, "upstream", "SLUICE_UPSTREAM", null);
            if (upstream == null) {
                throw new IllegalArgumentException("--upstream (or SLUICE_UPSTREAM) is required");
            }
            String labels = option(options, env, "pod-labels", "SLUICE_POD_LABELS", null);
            settings = new SidecarSettings(
                    Path.of(config),
                    upstreamUri(upstream),
                    option(options, env, "bind", "SLUICE_BIND_ADDRESS", SidecarSettings.DEFAULT_BIND_ADDRESS),
                    port(option(options, env, "port", "SLUICE_PORT", String.valueOf(SidecarSettings.DEFAULT_PORT)), "--port"),
                    port(option(options, env, "admin-port", "SLUICE_ADMIN_PORT", String.valueOf(SidecarSettings.DEFAULT_ADMIN_PORT)), "--admin-port"),
                    labels == null ? null : Path.of(labels),
                    duration(option(options, env, "upstream-timeout", "SLUICE_UPSTREAM_TIMEOUT", "30s"), "--upstream-timeout"),
                    duration(option(options, env, "reload-interval", "SLUICE_RELOAD_INTERVAL", "2s"), "--reload-interval"),
                    SidecarSettings.DEFAULT_CONNECTIONS_PER_THREAD,
                    SidecarSettings.DEFAULT_SHUTDOWN_GRACE);
            if (!options.isEmpty()) {
                throw new IllegalArgumentException("unknown option --" + options.keySet().iterator().next());
            }
        } catch (IllegalArgumentException e) {
            err.println("sluice-sidecar: " + e.getMessage());
            err.print(USAGE);
            return EXIT_USAGE;
        }
        Sidecar sidecar = new Sidecar(settings, LimiterClock.SYSTEM, RedisPassword.of(env.get(RedisPassword.ENVIRONMENT_VARIABLE)));
        try {
            sidecar.start();
        } catch (InvalidConfigException e) {
            printErrors(settings.configFile(), e, err);
            sidecar.close();
            return EXIT_INVALID_CONFIG;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sidecar::close, "sluice-shutdown"));
        return -1;
    }

    /** Validates as a start would: the document, then the files it names (every policy applies, as without pod labels). */
    private static int check(Path config, PrintStream out, PrintStream err) {
        try {
            List<FieldError> files = ConfigFiles.problems(ConfigLoader.load(config), null);
            if (!files.isEmpty()) {
                throw new InvalidConfigException(files);
            }
            out.println(config + ": valid");
            return 0;
        } catch (InvalidConfigException e) {
            printErrors(config, e, err);
            return EXIT_INVALID_CONFIG;
        }
    }

    private static void printErrors(Path config, InvalidConfigException e, PrintStream err) {
        err.println("sluice-sidecar: invalid configuration " + config + ":");
        for (FieldError error : e.errors()) {
            err.println("  " + error);
        }
    }

    /** A flag wins over its environment variable; a consumed flag is removed so that leftovers are reported. */
    private static String option(Map<String, String> options, Map<String, String> env, String flag, String variable, String fallback) {
        String value = options.remove(flag);
        if (value == null) {
            value = env.get(variable);
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    private static URI upstreamUri(String value) {
        try {
            URI uri = URI.create(value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("--upstream '" + value + "' must be an http:// or https:// URL with a host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("--upstream") ? e.getMessage()
                    : "--upstream '" + value + "' is not a URL: " + e.getMessage());
        }
    }

    private static int port(String value, String flag) {
        try {
            int port = Integer.parseInt(value);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + value + "' is not a port (0-65535)");
        }
    }

    private static Duration duration(String value, String flag) {
        try {
            return LimitPeriod.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + e.getMessage());
        }
    }
}
