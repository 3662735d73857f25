package dev.sluice.sidecar;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.config.ConfigFiles;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.redis.RedisPassword;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar sluice-sidecar.jar --config FILE --upstream URL [options]}; every flag has an environment variable. */
public final class Main {
    static final int EXIT_INVALID_CONFIG = 2;
    static final int EXIT_USAGE = 64;

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
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.print(SidecarSettings.USAGE);
            return 0;
        }
        if (Arrays.asList(args).contains("--version")) {
            out.println("sluice-sidecar " + SidecarVersion.current() + " (reads document versions up to " + SidecarConfig.DOCUMENT_VERSION + ")");
            return 0;
        }
        SidecarSettings settings;
        try {
            UnaryOperator<String> flags = SidecarSettings.flags(args, env);
            if (flags.apply(SidecarSettings.CHECK) != null) {
                return check(SidecarSettings.configFile(flags), out, err);
            }
            settings = SidecarSettings.of(flags, env);
        } catch (IllegalArgumentException e) {
            err.println("sluice-sidecar: " + e.getMessage());
            err.print(SidecarSettings.USAGE);
            return EXIT_USAGE;
        }
        setRootLogLevel(settings.logLevel());
        Sidecar sidecar = new Sidecar(settings, LimiterClock.SYSTEM, RedisPassword.of(env.get(RedisPassword.ENVIRONMENT_VARIABLE)));
        try {
            sidecar.start();
        } catch (InvalidConfigException e) {
            printErrors(settings.configFile(), e, err);
            sidecar.close();
            return EXIT_INVALID_CONFIG;
        }
        if (TrainingRun.requested()) {
            try {
                TrainingRun.exercise(sidecar);
            } catch (IOException e) {
                err.println("sluice-sidecar: the training run's requests failed: " + e);
                return 1;
            } finally {
                sidecar.close();
            }
            return 0;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sidecar::close, "sluice-shutdown"));
        return -1;
    }

    /** Validates as a start would: the document, then the files it names (every policy applies, as without pod labels). */
    private static int check(Path config, PrintStream out, PrintStream err) {
        try {
            ConfigLoader.Parsed parsed = ConfigLoader.read(config);
            List<FieldError> files = ConfigFiles.problems(parsed.config(), null);
            if (!files.isEmpty()) {
                throw new InvalidConfigException(files);
            }
            out.println(config + ": valid");
            if (parsed.newerFormat()) {
                out.println("  document version " + parsed.config().version() + " is newer than " + SidecarConfig.DOCUMENT_VERSION
                        + ", the newest this sidecar reads: it would be enforced without "
                        + (parsed.ignoredFields().isEmpty() ? "anything left out" : String.join(", ", parsed.ignoredFields())));
            }
            return 0;
        } catch (InvalidConfigException e) {
            printErrors(config, e, err);
            return EXIT_INVALID_CONFIG;
        }
    }

    /**
     * Sets the root log level, checked by {@link SidecarSettings}. logback.xml reads {@code SLUICE_LOG_LEVEL} too,
     * but not {@code --log-level}, and would take a misspelt level for DEBUG without a word.
     */
    static void setRootLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level));
        }
    }

    private static void printErrors(Path config, InvalidConfigException e, PrintStream err) {
        err.println("sluice-sidecar: invalid configuration " + config + ":");
        for (FieldError error : e.errors()) {
            err.println("  " + error);
        }
    }
}
