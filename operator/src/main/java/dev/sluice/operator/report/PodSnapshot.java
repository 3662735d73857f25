package dev.sluice.operator.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the operator knows of one pod's sidecar at one moment.
 *
 * @param report its last report; null while it has never answered
 * @param reporting whether it answers, has not been asked long enough to tell, or has stopped
 * @param samples its rule counters over the last minute and a little more, oldest first
 */
public record PodSnapshot(String pod, SidecarReport report, Reporting reporting, List<Sample> samples) {
    public PodSnapshot {
        samples = List.copyOf(samples);
    }

    /** Whether the sidecar answers. */
    public enum Reporting {
        /** It answered within the last 3 report intervals. */
        ANSWERING,
        /** It has not answered yet, but has not been asked for 3 intervals either (a new pod, or a new leader). */
        PENDING,
        /** It has answered nothing for 3 intervals. */
        SILENT
    }

    /** The cumulative counters of each rule ({@code policy/rule}) as one report gave them. */
    public record Sample(Instant at, Map<String, SidecarReport.RuleCounters> rules) {
        public Sample {
            rules = Map.copyOf(rules);
        }

        static String key(String policy, String rule) {
            return policy + "/" + rule;
        }
    }
}
