package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a sidecar's JFR recording (ProxyComparison {@code --jfr DIR}) says the time and the allocations go, the way
 * JDK 21's {@code jfr view hot-methods} and {@code allocation-by-site} would put it (JDK 17's jfr has no views):
 * CPU samples by top frame, by the first frame in Sluice's own code and by package; allocation samples (weighted by
 * the bytes they stand for) by site and by class.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.proxy.ProfileSummary FILE.jfr [--top 20]
 * </pre>
 */
public final class ProfileSummary {
    private static final String OWN_CODE = "dev.sluice.";

    private ProfileSummary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || args[0].startsWith("-")) {
            System.err.println("Usage: ProfileSummary FILE.jfr [--top N]");
            System.exit(64);
        }
        int top = args.length >= 3 && args[1].equals("--top") ? Integer.parseInt(args[2]) : 20;
        Map<String, Double> selfFrames = new HashMap<>();
        Map<String, Double> ownFrames = new HashMap<>();
        Map<String, Double> packages = new HashMap<>();
        Map<String, Double> threads = new HashMap<>();
        Map<String, Double> frameTypes = new HashMap<>();
        Map<String, Double> allocationSites = new HashMap<>();
        Map<String, Double> allocatedClasses = new HashMap<>();
        long samples = 0;
        double allocated = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            String type = event.getEventType().getName();
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            if (type.equals("jdk.ExecutionSample")) {
                samples++;
                selfFrames.merge(frame(frames.get(0)), 1.0, Double::sum);
                packages.merge(packageOf(frames.get(0)), 1.0, Double::sum);
                ownFrames.merge(firstOwn(frames), 1.0, Double::sum);
                frameTypes.merge(frames.get(0).getType(), 1.0, Double::sum);
                threads.merge(event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName(), 1.0, Double::sum);
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                double weight = event.getLong("weight");
                allocated += weight;
                allocationSites.merge(frame(frames.get(0)) + " ← " + firstOwn(frames), weight, Double::sum);
                allocatedClasses.merge(event.getClass("objectClass").getName(), weight, Double::sum);
            }
        }
        System.out.printf(Locale.ROOT, "%s: %,d CPU samples (jdk.ExecutionSample), %.1f MiB of allocation sampled (jdk.ObjectAllocationSample weights)%n",
                args[0], samples, allocated / 1048576);
        print("CPU samples by top frame (self time)", selfFrames, samples, top, "%");
        print("CPU samples by the first frame in dev.sluice (time spent on behalf of Sluice's own code, callees included)", ownFrames,
                samples, top, "%");
        print("CPU samples by package of the top frame", packages, samples, top, "%");
        print("CPU samples by thread", threads, samples, top, "%");
        print("CPU samples by how the top frame ran (a warm request path is JIT compiled or inlined, not interpreted)", frameTypes,
                samples, top, "%");
        print("allocation by site (top frame ← first dev.sluice frame)", allocationSites, allocated, top, "%");
        print("allocation by class", allocatedClasses, allocated, top, "%");
    }

    private static void print(String title, Map<String, Double> counts, double total, int top, String unit) {
        System.out.printf(Locale.ROOT, "%n%s%n", title);
        Map<String, Double> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
                .forEach(entry -> sorted.put(entry.getKey(), entry.getValue()));
        for (Map.Entry<String, Double> entry : sorted.entrySet()) {
            System.out.printf(Locale.ROOT, "  %5.1f%s  %s%n", total == 0 ? 0 : 100 * entry.getValue() / total, unit, entry.getKey());
        }
    }

    private static String frame(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static String packageOf(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.contains(".") ? type.substring(0, type.lastIndexOf('.')) : "(default package)";
    }

    /** The frame nearest the top that is Sluice's own code, or "(no dev.sluice frame)" for the JDK's and libraries' own threads. */
    private static String firstOwn(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            if (frame.getMethod().getType().getName().startsWith(OWN_CODE)) {
                return frame(frame);
            }
        }
        return "(no dev.sluice frame)";
    }
}
