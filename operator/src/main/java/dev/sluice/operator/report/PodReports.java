package dev.sluice.operator.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reports of one pod's sidecar as the scraper receives them: the last one, when it last answered, and the counter
 * samples of the last minute (and one before it, so that a minute's rate has a start). A pod recreated under the same
 * name (a StatefulSet's) starts afresh: its uid tells them apart.
 */
final class PodReports {
    /** Samples older than this are of no use: rates look back a minute from a 10 s bucket's start. */
    static final Duration KEPT = Duration.ofSeconds(80);
    /** The closest two kept samples may be. */
    static final Duration SPACING = Duration.ofSeconds(1);

    private final String pod;
    private final String uid;
    private final Deque<PodSnapshot.Sample> samples = new ArrayDeque<>();
    private Instant firstAsked;
    private Instant lastAnswer;
    private SidecarReport last;

    PodReports(String pod, String uid) {
        this.pod = pod;
        this.uid = uid;
    }

    String uid() {
        return uid;
    }

    synchronized void asked(Instant at) {
        if (firstAsked == null) {
            firstAsked = at;
        }
    }

    synchronized void answered(Instant at, SidecarReport report) {
        asked(at);
        lastAnswer = at;
        last = report;
        Map<String, SidecarReport.RuleCounters> rules = new HashMap<>();
        for (SidecarReport.RuleCounters counters : report.rules()) {
            rules.put(PodSnapshot.Sample.key(counters.policy(), counters.rule()), counters);
        }
        samples.addLast(new PodSnapshot.Sample(at, rules));
        // The re-reads after a ConfigMap write come closer together than SPACING: the sample before the newest is dropped when
        // it is that close to the one before it, so that a pod keeps about one sample a second however often the operator writes.
        if (samples.size() >= 3) {
            PodSnapshot.Sample newest = samples.removeLast();
            PodSnapshot.Sample middle = samples.removeLast();
            if (!middle.at().isBefore(samples.peekLast().at().plus(SPACING)) || samples.size() == 0) {
                samples.addLast(middle);
            }
            samples.addLast(newest);
        }
        while (samples.size() > 2 && samples.peekFirst().at().isBefore(at.minus(KEPT))) {
            samples.removeFirst();
        }
    }

    synchronized Optional<Long> documentGeneration() {
        return last == null || last.config() == null ? Optional.empty() : Optional.ofNullable(last.config().generation());
    }

    /** @param silence how long without an answer makes a sidecar not reporting (3 report intervals) */
    synchronized PodSnapshot snapshot(Instant now, Duration silence) {
        PodSnapshot.Reporting reporting;
        if (lastAnswer != null && !lastAnswer.isBefore(now.minus(silence))) {
            reporting = PodSnapshot.Reporting.ANSWERING;
        } else if (lastAnswer == null && (firstAsked == null || firstAsked.isAfter(now.minus(silence)))) {
            reporting = PodSnapshot.Reporting.PENDING;
        } else {
            reporting = PodSnapshot.Reporting.SILENT;
        }
        return new PodSnapshot(pod, last, reporting, List.copyOf(samples));
    }
}
