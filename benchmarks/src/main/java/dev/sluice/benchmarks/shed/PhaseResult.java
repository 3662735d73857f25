package dev.sluice.benchmarks.shed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What one phase of {@link Overload} measured, read from the generator's results (vegeta's JSON lines, one per
 * request): answers by status, the latencies of admitted requests (200) and of refusals (503), whether every refusal
 * had {@code Retry-After}, the refusals' reasons, the errors by kind, and the generator's own lag behind its schedule.
 */
final class PhaseResult {
    private static final Pattern ADDRESS = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+");
    private static final Pattern REQUEST = Pattern.compile("^[A-Za-z]+ \"[^\"]*\": ");
    private static final Pattern PRIORITY = Pattern.compile("[?&]p=([a-z]+)");

    final String name;
    final double rate;
    final long sent;
    final long[] admittedNanos;
    final long[] refusedNanos;
    final long refusedWithoutRetryAfter;
    final Map<Integer, Long> byStatus;
    final Map<String, Long> errors;
    final Map<String, Long> refusalReasons;
    final Map<String, long[]> admittedShedByPriority;
    /** How late each request left against the generator's schedule: {@code seq / rate} after the first. */
    final long[] lagNanos;
    final double seconds;

    private PhaseResult(String name, double rate, List<Long> admitted, List<Long> refused, long refusedWithoutRetryAfter,
                        Map<Integer, Long> byStatus, Map<String, Long> errors, Map<String, Long> refusalReasons,
                        Map<String, long[]> admittedShedByPriority, long[] lagNanos, double seconds) {
        this.name = name;
        this.rate = rate;
        this.sent = byStatus.values().stream().mapToLong(Long::longValue).sum();
        this.admittedNanos = admitted.stream().mapToLong(Long::longValue).sorted().toArray();
        this.refusedNanos = refused.stream().mapToLong(Long::longValue).sorted().toArray();
        this.refusedWithoutRetryAfter = refusedWithoutRetryAfter;
        this.byStatus = byStatus;
        this.errors = errors;
        this.refusalReasons = refusalReasons;
        this.admittedShedByPriority = admittedShedByPriority;
        this.lagNanos = lagNanos;
        this.seconds = seconds;
    }

    /** Reads vegeta's {@code encode --to json} output, one result a line. */
    static PhaseResult read(String name, double rate, BufferedReader lines, ObjectMapper json) throws IOException {
        List<Long> admitted = new ArrayList<>();
        List<Long> refused = new ArrayList<>();
        long withoutRetryAfter = 0;
        Map<Integer, Long> byStatus = new TreeMap<>();
        Map<String, Long> errors = new TreeMap<>();
        Map<String, Long> reasons = new TreeMap<>();
        Map<String, long[]> byPriority = new TreeMap<>();
        List<long[]> sentAt = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode result = json.readTree(line);
            int code = result.path("code").asInt();
            long latency = result.path("latency").asLong();
            OffsetDateTime timestamp = OffsetDateTime.parse(result.path("timestamp").asText());
            long at = timestamp.toEpochSecond() * 1_000_000_000L + timestamp.getNano();
            first = Math.min(first, at);
            last = Math.max(last, at + latency);
            sentAt.add(new long[] {result.path("seq").asLong(), at});
            byStatus.merge(code, 1L, Long::sum);
            long[] counts = byPriority.computeIfAbsent(priority(result.path("url").asText()), p -> new long[2]);
            String error = result.path("error").asText("");
            if (code == 200) {
                admitted.add(latency);
                counts[0]++;
            } else if (code == 503) {
                refused.add(latency);
                counts[1]++;
                if (!result.path("headers").has("Retry-After")) {
                    withoutRetryAfter++;
                }
                reasons.merge(reason(result, json), 1L, Long::sum);
            }
            // vegeta also sets the status line as the error of every answer that is not 2xx: those are counted by status.
            if (!error.isEmpty() && !error.startsWith(code + " ")) {
                errors.merge(kind(error), 1L, Long::sum);
            }
        }
        return new PhaseResult(name, rate, admitted, refused, withoutRetryAfter, byStatus, errors, reasons, byPriority,
                lag(sentAt, rate), sentAt.isEmpty() ? 0 : (last - first) / 1e9);
    }

    /** Each request's lag behind the schedule the generator was given, {@code seq / rate} after the first request. */
    private static long[] lag(List<long[]> sentAt, double rate) {
        if (sentAt.isEmpty()) {
            return new long[0];
        }
        sentAt.sort((a, b) -> Long.compare(a[0], b[0]));
        long start = sentAt.get(0)[1];
        long firstSeq = sentAt.get(0)[0];
        double interval = 1e9 / rate;
        long[] lag = new long[sentAt.size()];
        for (int i = 0; i < lag.length; i++) {
            long[] request = sentAt.get(i);
            lag[i] = Math.max(0, request[1] - (start + Math.round((request[0] - firstSeq) * interval)));
        }
        Arrays.sort(lag);
        return lag;
    }

    private static String priority(String url) {
        var matcher = PRIORITY.matcher(url);
        return matcher.find() ? matcher.group(1) : "-";
    }

    private static String reason(JsonNode result, ObjectMapper json) {
        String body = result.path("body").asText("");
        if (body.isEmpty()) {
            return "(no body)";
        }
        try {
            JsonNode refusal = json.readTree(Base64.getDecoder().decode(body));
            return refusal.path("error").asText("?") + "/" + refusal.path("reason").asText("-");
        } catch (IOException | IllegalArgumentException e) {
            return "(not JSON)";
        }
    }

    /** An error's kind: its message without the request and the addresses, so that equal failures count together. */
    static String kind(String error) {
        return ADDRESS.matcher(REQUEST.matcher(error).replaceFirst("")).replaceAll("ADDR");
    }

    long count(int status) {
        return byStatus.getOrDefault(status, 0L);
    }

    /** Answers that are neither 200 nor 503, errors (status 0) included. */
    long otherOutcomes() {
        return sent - count(200) - count(503);
    }

    /** Share of refusals answered within {@code nanos}. */
    double refusedWithin(long nanos) {
        if (refusedNanos.length == 0) {
            return Double.NaN;
        }
        int within = 0;
        for (long latency : refusedNanos) {
            if (latency <= nanos) {
                within++;
            }
        }
        return within / (double) refusedNanos.length;
    }

    static double millis(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }

    static double maxMillis(long[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }

    /** The lines this phase prints. */
    List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "  sent %d at %.0f/s over %.1f s; by status %s; achieved %.0f/s", sent, rate, seconds, byStatus,
                seconds == 0 ? 0 : sent / seconds));
        out.add(String.format(Locale.ROOT, "  admitted (200): %d, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", admittedNanos.length,
                millis(admittedNanos, 0.5), millis(admittedNanos, 0.9), millis(admittedNanos, 0.99), maxMillis(admittedNanos)));
        if (refusedNanos.length > 0) {
            out.add(String.format(Locale.ROOT, "  refused (503): %d, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms; within 1 ms %.1f%%;"
                            + " without Retry-After %d; reasons %s", refusedNanos.length, millis(refusedNanos, 0.5), millis(refusedNanos, 0.99),
                    millis(refusedNanos, 0.999), maxMillis(refusedNanos), 100 * refusedWithin(1_000_000), refusedWithoutRetryAfter, refusalReasons));
        }
        StringBuilder priorities = new StringBuilder("  by priority (admitted/refused):");
        admittedShedByPriority.forEach((priority, counts) -> priorities.append(' ').append(priority).append(' ').append(counts[0]).append('/')
                .append(counts[1]));
        out.add(priorities.toString());
        out.add("  other outcomes: " + otherOutcomes() + (errors.isEmpty() ? "" : ", errors by kind " + errors));
        out.add(String.format(Locale.ROOT, "  generator lag behind its schedule: p50 %.2f ms, p99 %.2f ms, max %.1f ms", millis(lagNanos, 0.5),
                millis(lagNanos, 0.99), maxMillis(lagNanos)));
        return out;
    }
}
