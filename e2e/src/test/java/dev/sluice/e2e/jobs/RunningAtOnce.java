package dev.sluice.e2e.jobs;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How many containers ran at once, from the containers' own start and finish times as the kubelet
 * reports them: not sampled, so no instant is missed. The times have whole seconds (truncated), so a
 * run is the half-open interval [startedAt, finishedAt): a container that starts in the second another
 * finishes does not count as overlapping it. That can hide an overlap shorter than a second, never
 * invent one: a recorded start before a recorded finish is a real start before the real finish.
 */
final class RunningAtOnce {
    private RunningAtOnce() {
    }

    /** One container's run. */
    record Run(String name, Instant startedAt, Instant finishedAt) {
    }

    /** The runs of the finished containers of {@code pods}, one per container; fails when a container has not finished. */
    static List<Run> runs(List<Pod> pods, String container) {
        List<Run> runs = new ArrayList<>();
        for (Pod pod : pods) {
            ContainerStateTerminated terminated = pod.getStatus().getContainerStatuses().stream()
                    .filter(status -> container.equals(status.getName())).findFirst()
                    .map(status -> status.getState().getTerminated())
                    .orElse(null);
            if (terminated == null) {
                throw new IllegalStateException("the container of pod " + pod.getMetadata().getName() + " has not finished");
            }
            runs.add(new Run(pod.getMetadata().getName(), Instant.parse(terminated.getStartedAt()), Instant.parse(terminated.getFinishedAt())));
        }
        return runs;
    }

    /** The most runs in progress at any instant. */
    static int peak(List<Run> runs) {
        record Edge(Instant at, int step) {
        }
        List<Edge> edges = new ArrayList<>();
        for (Run run : runs) {
            edges.add(new Edge(run.startedAt(), 1));
            edges.add(new Edge(run.finishedAt(), -1));
        }
        // at the same instant, finishes before starts: half-open intervals
        edges.sort(Comparator.comparing(Edge::at).thenComparingInt(Edge::step));
        int running = 0;
        int peak = 0;
        for (Edge edge : edges) {
            running += edge.step();
            peak = Math.max(peak, running);
        }
        return peak;
    }
}
