package dev.sluice.api.flags;

import dev.sluice.api.config.LimitPeriod;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The command line of both processes, operator and sidecar: {@code --name=value} or {@code --name value},
 * switches that take no value, each flag falling back to its environment variable ({@code --lease-name}
 * to {@code SLUICE_LEASE_NAME}), and the parsers of values that report the flag and the value they
 * refuse. Settings records read their flags through the {@link UnaryOperator} {@link #parse} returns, so
 * they depend on this and not on each other.
 */
public final class Flags {
    /** The log levels {@link #logLevel} accepts, from the most to the least verbose. */
    private static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    private Flags() {
    }

    /** Flag values by name, each falling back to {@code SLUICE_<NAME>}; unknown flags and missing values are errors showing {@code usage}. */
    public static UnaryOperator<String> settings(String[] args, Map<String, String> env, Set<String> known, String usage) {
        Map<String, String> variables = new LinkedHashMap<>();
        known.forEach(name -> variables.put(name, variable(name)));
        try {
            return parse(args, env, variables, Set.of());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "\n" + usage);
        }
    }

    /**
     * Flag values by name: each flag of {@code variables} takes a value and falls back to the environment
     * variable it maps to, each of {@code switches} takes none and reads {@code "true"} when given, any
     * other flag is absent (null). An argument that is not a flag, a flag no one knows and a flag without
     * its value are errors naming the argument.
     */
    public static UnaryOperator<String> parse(String[] args, Map<String, String> env, Map<String, String> variables, Set<String> switches) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            int equals = arg.indexOf('=');
            if (equals > 0) {
                flags.put(arg.substring(2, equals), arg.substring(equals + 1));
            } else if (switches.contains(arg.substring(2))) {
                flags.put(arg.substring(2), "true");
            } else if (i + 1 < args.length) {
                flags.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("option " + arg + " needs a value");
            }
        }
        flags.keySet().stream().filter(name -> !variables.containsKey(name) && !switches.contains(name)).findFirst().ifPresent(name -> {
            throw new IllegalArgumentException("unknown option --" + name);
        });
        return name -> {
            if (flags.containsKey(name)) {
                return flags.get(name);
            }
            String variable = variables.get(name);
            return variable == null ? null : env.get(variable);
        };
    }

    /** The environment variable a flag falls back to unless told otherwise: {@code --lease-name} to {@code SLUICE_LEASE_NAME}. */
    public static String variable(String flag) {
        return "SLUICE_" + flag.toUpperCase().replace('-', '_');
    }

    /** A comma-separated list, blanks dropped; empty when absent. */
    public static List<String> list(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    /** A port number given to {@code flag}; anything else is an error naming the flag, the value and the range. */
    public static int port(String flag, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException(flag + " '" + value + "' is not a port (0-65535)");
    }

    public static boolean bool(String flag, String value) {
        return switch (value.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(flag + " must be true or false, got '" + value + "'");
        };
    }

    /** A duration in the configuration's syntax ({@code 30s}, {@code 500ms}) given to {@code flag}. */
    public static Duration duration(String flag, String value) {
        try {
            return LimitPeriod.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + e.getMessage());
        }
    }

    /**
     * A root log level given to {@code flag}: trace, debug, info, warn or error in any case, returned upper
     * case as logback names it. Logback reads anything else as DEBUG without a word, so it is refused here.
     */
    public static String logLevel(String flag, String value) {
        String level = value.trim().toUpperCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            throw new IllegalArgumentException(flag + " must be trace, debug, info, warn or error (any case), got '" + value + "'");
        }
        return level;
    }
}
