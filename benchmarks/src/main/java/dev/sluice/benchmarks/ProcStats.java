package dev.sluice.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * CPU time and memory of the processes under test, from {@code /proc}, for every benchmark program: a
 * proxy's cost is its own CPU time, not what the load generator sees, and nginx's is its master's plus its
 * workers'.
 */
public final class ProcStats {
    /** {@code /proc} counts CPU time in USER_HZ ticks, 100 a second on every x86-64 and arm64 kernel configuration. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** User plus system CPU seconds of {@code pid} so far, all its threads included; NaN once it is gone. */
    public static double cpuSeconds(long pid) {
        return cpuSeconds(Path.of("/proc", String.valueOf(pid), "stat"));
    }

    /** User plus system CPU seconds of {@code pid} and its children (nginx's workers), threads included; NaN once it is gone. */
    public static double treeCpuSeconds(long pid) {
        double seconds = cpuSeconds(Path.of("/proc", String.valueOf(pid), "stat"));
        if (Double.isNaN(seconds)) {
            return seconds;
        }
        for (long worker : children(pid)) {
            double child = cpuSeconds(Path.of("/proc", String.valueOf(worker), "stat"));
            seconds += Double.isNaN(child) ? 0 : child; // a worker that ended meanwhile
        }
        return seconds;
    }

    /** The direct children of {@code pid}, from each process's parent pid (field 4 of its stat line). */
    public static List<Long> children(long pid) {
        List<Long> children = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), entry -> entry.getFileName().toString().matches("\\d+"))) {
            for (Path process : processes) {
                String[] fields = fieldsAfterName(process.resolve("stat"));
                if (fields != null && Long.parseLong(fields[1]) == pid) {
                    children.add(Long.parseLong(process.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return children;
    }

    /**
     * CPU seconds of the threads of {@code pid} whose name {@code threadName} accepts: the JVM names its GC threads
     * ("GC Thread#0", "G1 Conc#0", "G1 Refine#0"...), and Serial GC collects on the "VM Thread".
     */
    public static double threadCpuSeconds(long pid, Predicate<String> threadName) {
        double seconds = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm")).strip();
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                double thread = cpuSeconds(task.resolve("stat"));
                if (threadName.test(comm) && !Double.isNaN(thread)) {
                    seconds += thread;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return seconds;
    }

    /** The resident set size of {@code pid} now, in bytes ({@code VmRSS}); -1 once it is gone. */
    public static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring("VmRSS:".length()).trim().split("\\s+")[0]) * 1024;
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static double cpuSeconds(Path stat) {
        String[] fields = fieldsAfterName(stat);
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
        try {
            return fields == null ? Double.NaN : (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        } catch (RuntimeException e) {
            return Double.NaN; // a line cut short as the process ended
        }
    }

    /** The fields after the command name, which is in parentheses and may hold spaces; null for a process gone. */
    private static String[] fieldsAfterName(Path stat) {
        try {
            String line = Files.readString(stat);
            return line.substring(line.lastIndexOf(')') + 2).split(" ");
        } catch (IOException e) {
            return null;
        }
    }
}
