package dev.sluice.operator.flags;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The operator's command line: {@code --name=value} or {@code --name value}, each flag falling back to
 * its environment variable ({@code --lease-name} to {@code SLUICE_LEASE_NAME}), and the parsers of
 * values that report the flag and the value they refuse. Settings records read their flags through
 * the {@link UnaryOperator} {@link #settings} returns, so they depend on this and not on each other.
 */
public final class Flags {
    private Flags() {
    }

    /** Flag values by name, each falling back to {@code SLUICE_<NAME>}; unknown flags and missing values are errors showing {@code usage}. */
    public static UnaryOperator<String> settings(String[] args, Map<String, String> env, Set<String> known, String usage) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'\n" + usage);
            }
            int equals = arg.indexOf('=');
            if (equals > 0) {
                flags.put(arg.substring(2, equals), arg.substring(equals + 1));
            } else if (i + 1 < args.length) {
                flags.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("option " + arg + " needs a value\n" + usage);
            }
        }
        flags.keySet().stream().filter(name -> !known.contains(name)).findFirst().ifPresent(name -> {
            throw new IllegalArgumentException("unknown option --" + name + "\n" + usage);
        });
        return name -> flags.getOrDefault(name, env.get("SLUICE_" + name.toUpperCase().replace('-', '_')));
    }

    /** A comma-separated list, blanks dropped; empty when absent. */
    public static List<String> list(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    /** A port number given to {@code flag}; anything else is an error naming the flag and the value. */
    public static int port(String flag, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException(flag + " must be between 0 and 65535, got '" + value + "'");
    }

    public static boolean bool(String flag, String value) {
        return switch (value.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(flag + " must be true or false, got '" + value + "'");
        };
    }
}
