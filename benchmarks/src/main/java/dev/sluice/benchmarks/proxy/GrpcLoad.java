package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load of the gRPC modes, {@code sluice-grpc-bench load} (benchmarks/grpc, grpc-go): unary calls over
 * {@link #CONNECTIONS} HTTP/2 connections, in the two ways wrk and vegeta load the HTTP modes. Closed loop for the
 * maximum throughput (a number of calls in flight, each sent when the previous one is answered), open loop for latency
 * (calls sent on schedule at a constant rate whatever the answers, at most {@link Vegeta#MAX_WORKERS} in flight, the
 * latencies exact nearest-rank percentiles of every answered call, as vegeta's are computed here).
 *
 * <p>Every call's gRPC status is counted: OK, a refusal (the sidecar's RESOURCE_EXHAUSTED, or what grpc-go makes of
 * nginx's HTTP 429: UNAVAILABLE), or an error (no answer: deadline passed, connection failed).
 */
final class GrpcLoad {
    /** HTTP/2 connections per run; calls go to them in turn (a gRPC client multiplexes its calls over few connections). */
    static final int CONNECTIONS = 4;
    private static final Pattern FIELD = Pattern.compile("([a-z0-9_]+(?:\\.[A-Za-z]+)?)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");

    /**
     * One run's figures; latencies in nanoseconds, of the calls that got an answer (OK or not), {@code sentPerSecond}
     * the rate the client kept, {@code codes} and {@code messages} (the first message of each non-OK status) by
     * canonical status name, such as RESOURCE_EXHAUSTED.
     */
    record Result(long calls, long ok, long errors, double seconds, double sentPerSecond, long p50, long p99, long p999,
                  Map<String, Long> codes, Map<String, String> messages) {

        /** As a wrk result: non-OK answers are the "non-2xx", calls without an answer the errors. */
        Wrk.Result throughput() {
            return new Wrk.Result(calls, seconds, calls - ok - errors, errors);
        }

        /** As a vegeta result, likewise. */
        Vegeta.Result latency() {
            return new Vegeta.Result(calls, sentPerSecond, p50, p99, p999, calls - ok - errors, errors);
        }

        /** The statuses and their shares, most frequent first: {@code RESOURCE_EXHAUSTED 96.6 %, OK 3.4 %}. */
        String statuses() {
            List<String> parts = new ArrayList<>();
            codes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(code -> parts.add(String.format(Locale.ROOT, "%s %.1f %%", code.getKey(), 100.0 * code.getValue() / calls)));
            return String.join(", ", parts);
        }
    }

    private final String cpus;
    private final int concurrency;

    GrpcLoad(int concurrency, String cpus) {
        this.concurrency = concurrency;
        this.cpus = cpus;
    }

    /** Closed loop: {@code concurrency} calls in flight for {@code seconds}. */
    Result maximum(String target, int seconds) throws IOException, InterruptedException {
        return run(target, seconds, "-concurrency", String.valueOf(concurrency));
    }

    /** Open loop: {@code ratePerSecond} calls a second for {@code seconds}. */
    Result atRate(String target, int ratePerSecond, int seconds) throws IOException, InterruptedException {
        return run(target, seconds, "-rate", String.valueOf(ratePerSecond), "-max-in-flight", String.valueOf(Vegeta.MAX_WORKERS));
    }

    private Result run(String target, int seconds, String... load) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Tools.TASKSET.path(), "-c", cpus, Tools.GRPC_BENCH.path(), "load",
                "-target", target, "-duration", seconds + "s", "-timeout", "5s", "-connections", String.valueOf(CONNECTIONS)));
        command.addAll(List.of(load));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (process.waitFor() != 0) {
            throw new IOException("sluice-grpc-bench load failed (" + process.exitValue() + "): " + output);
        }
        Result result = parse(output.lines().reduce((first, second) -> second).orElse(""));
        if (result.calls() == result.errors()) {
            throw new IOException("sluice-grpc-bench got no answer from " + target + " (" + result.calls() + " calls: " + result.messages() + ")");
        }
        return result;
    }

    /** Reads the client's line of figures (benchmarks/grpc/main.go, {@code report}). */
    static Result parse(String line) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher matcher = FIELD.matcher(line);
        while (matcher.find()) {
            fields.put(matcher.group(1), matcher.group(2));
        }
        if (!fields.containsKey("calls") || "0".equals(fields.get("calls"))) {
            throw new IOException("sluice-grpc-bench made no call: '" + line + "'");
        }
        try {
            Map<String, Long> codes = new LinkedHashMap<>();
            for (String code : fields.get("codes").split(",")) {
                String[] nameCount = code.split(":");
                codes.put(canonical(nameCount[0]), Long.parseLong(nameCount[1]));
            }
            Map<String, String> messages = new LinkedHashMap<>();
            fields.forEach((key, value) -> {
                if (key.startsWith("message.")) {
                    messages.put(canonical(key.substring("message.".length())), unquote(value));
                }
            });
            return new Result(number(fields, "calls"), number(fields, "ok"), number(fields, "errors"), Double.parseDouble(fields.get("seconds")),
                    Double.parseDouble(fields.get("sent_per_second")), number(fields, "p50"), number(fields, "p99"), number(fields, "p999"),
                    codes, messages);
        } catch (RuntimeException e) {
            throw new IOException("cannot read sluice-grpc-bench's figures '" + line + "': " + e, e);
        }
    }

    private static long number(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no " + name);
        }
        return Long.parseLong(value);
    }

    /** grpc-go's name of a status (ResourceExhausted) as the protocol spells it (RESOURCE_EXHAUSTED). */
    static String canonical(String goName) {
        return goName.equals("OK") ? goName : goName.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** A Go-quoted string ({@code %q}) back to its text; only the escapes a status message brings. */
    private static String unquote(String quoted) {
        String text = quoted.substring(1, quoted.length() - 1);
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> next;
                });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
