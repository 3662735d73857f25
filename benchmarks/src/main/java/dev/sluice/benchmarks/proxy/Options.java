package dev.sluice.benchmarks.proxy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison's command line; every value is checked here and a bad one is an {@link IllegalArgumentException}
 * naming the flag and the value.
 *
 * @param sidecarJavaOptions null for the image's JVM flags (read from the pom at start)
 * @param memoryLimitBytes 0 for no memory cgroup
 * @param jfrDirectory null for no profile; else each mode's sidecar records a JFR file there
 * @param svg null for no plot
 */
record Options(int rounds, List<Mode> modes, int seconds, int connections, double latencyShare, List<String> sidecarJavaOptions,
               long memoryLimitBytes, String proxyCpus, String loadCpus, Path checkout, Path sidecarJar, Path svg, Path jfrDirectory) {

    static final String USAGE = """
            Usage: java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.proxy.ProxyComparison [options]
              (run from the checkout's root after benchmarks/tools.sh and `mvn -o -q package -DskipTests -P '!images' -pl benchmarks -am`)

              --mode M                 allowed, refused, clients, global, or all (default: these four), or a comma-separated
                                       list; grpc-allowed, grpc-refused (unary gRPC calls, nginx grpc_pass against the
                                       sidecar's h2c upstream), or grpc for both
              --rounds N               interleaved rounds per mode, default 3
              --seconds S              length of each measurement, default 3
              --connections N          wrk's keep-alive connections, default 32; in the gRPC modes, the calls in flight
                                       of the closed-loop client (over 4 HTTP/2 connections)
              --latency-share F        vegeta's rate as a share of nginx's maximum in the same round, default 0.5
              --sidecar-java-opts "…"  the sidecar's JVM options instead of the image's (jib jvmFlags in the pom)
              --memory-limit SIZE      the sidecar's memory cgroup limit, e.g. 128m (default) or 1g; none for no cgroup
              --proxy-cpus LIST        taskset CPU list of nginx and the sidecar, default 1
              --load-cpus LIST         taskset CPU list of wrk, vegeta, the upstream and redis-server, default 0
              --sidecar-jar FILE       default sidecar/target/sluice-sidecar.jar
              --svg FILE               the plot, default docs/images/proxy-comparison.svg (grpc-comparison.svg when all
                                       modes are gRPC ones); none for no plot
              --jfr DIR                record a JFR profile (CPU and allocation) of each mode's sidecar during its
                                       rounds (after the warm-up) into DIR/sidecar-MODE.jfr
            """;

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("--mode", "all");
        defaults.put("--rounds", "3");
        defaults.put("--seconds", "3");
        defaults.put("--connections", "32");
        defaults.put("--latency-share", "0.5");
        defaults.put("--sidecar-java-opts", null);
        defaults.put("--memory-limit", "128m");
        defaults.put("--proxy-cpus", "1");
        defaults.put("--load-cpus", "0");
        defaults.put("--sidecar-jar", "sidecar/target/sluice-sidecar.jar");
        defaults.put("--svg", null);
        defaults.put("--jfr", null);
        return defaults;
    }

    static Options parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            String value = null;
            if (name.contains("=")) {
                value = name.substring(name.indexOf('=') + 1);
                name = name.substring(0, name.indexOf('='));
            }
            if (!DEFAULTS.containsKey(name)) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
            if (value == null) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                value = args[++i];
            }
            values.put(name, value);
        }
        List<Mode> modes = new ArrayList<>();
        for (String mode : values.get("--mode").split(",")) {
            if (mode.strip().equals("all")) {
                modes.addAll(Arrays.stream(Mode.values()).filter(m -> !m.grpc()).toList());
            } else if (mode.strip().equals("grpc")) {
                modes.addAll(Arrays.stream(Mode.values()).filter(Mode::grpc).toList());
            } else {
                modes.add(Mode.of(mode.strip()));
            }
        }
        String javaOptions = values.get("--sidecar-java-opts");
        // The HTTP plot and the gRPC plot each have their file in docs/images: a gRPC run must not overwrite the other.
        String svg = values.get("--svg") != null ? values.get("--svg")
                : modes.stream().allMatch(Mode::grpc) ? "docs/images/grpc-comparison.svg" : "docs/images/proxy-comparison.svg";
        return new Options(
                positive(values, "--rounds", 1000),
                List.copyOf(modes),
                positive(values, "--seconds", 3600),
                positive(values, "--connections", 10_000),
                share(values.get("--latency-share")),
                javaOptions == null ? null : List.of(javaOptions.strip().isEmpty() ? new String[0] : javaOptions.strip().split("\\s+")),
                bytes(values.get("--memory-limit")),
                cpus(values, "--proxy-cpus"),
                cpus(values, "--load-cpus"),
                Path.of("").toAbsolutePath(),
                Path.of(values.get("--sidecar-jar")).toAbsolutePath(),
                "none".equals(svg) ? null : Path.of(svg).toAbsolutePath(),
                values.get("--jfr") == null ? null : Path.of(values.get("--jfr")).toAbsolutePath());
    }

    private static int positive(Map<String, String> values, String name, int max) {
        String value = values.get(name);
        try {
            int number = Integer.parseInt(value);
            if (number < 1 || number > max) {
                throw new IllegalArgumentException(name + " must be between 1 and " + max + ", got " + value);
            }
            return number;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
        }
    }

    private static double share(String value) {
        try {
            double share = Double.parseDouble(value);
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("--latency-share must be above 0 and at most 1, got " + value);
            }
            return share;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--latency-share must be a number such as 0.5, got '" + value + "'");
        }
    }

    /** {@code none}, or a size in bytes with an optional k, m or g suffix (powers of 1024, as cgroups and the JVM count). */
    static long bytes(String value) {
        String text = value.strip().toLowerCase(Locale.ROOT);
        if (text.equals("none")) {
            return 0;
        }
        long unit = switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        try {
            long size = Long.parseLong(unit == 1 ? text : text.substring(0, text.length() - 1)) * unit;
            if (size < (16L << 20)) {
                throw new IllegalArgumentException("--memory-limit must be at least 16m (a JVM needs more), got " + value);
            }
            return size;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--memory-limit must be a size such as 128m or 1g, or none; got '" + value + "'");
        }
    }

    private static String cpus(Map<String, String> values, String name) {
        String value = values.get(name);
        if (!value.matches("\\d+(-\\d+)?(,\\d+(-\\d+)?)*")) {
            throw new IllegalArgumentException(name + " must be a taskset CPU list such as 1 or 0,2-3, got '" + value + "'");
        }
        return value;
    }
}
