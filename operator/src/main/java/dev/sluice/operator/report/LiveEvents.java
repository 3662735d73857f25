package dev.sluice.operator.report;

import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.status.EventRecorder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Events of live status that users care about, recorded by the leader as status changes: a CircuitBreaker's
 * circuit opening on some pod ({@value #CIRCUIT_OPENED}, Warning) and closed on all again ({@value #CIRCUIT_CLOSED}),
 * and a RateLimitPolicy's reject rate crossing {@value #HIGH_PERCENT}% upwards ({@value #HIGH_REJECT_RATE}, Warning)
 * and falling below {@value #NORMAL_PERCENT}% ({@value #REJECT_RATE_NORMAL}); the gap keeps a rate hovering at the
 * threshold from announcing itself at every bucket. A refusal of the configuration is announced by the change of Ready.
 */
public final class LiveEvents {
    public static final String CIRCUIT_OPENED = "CircuitOpened";
    public static final String CIRCUIT_CLOSED = "CircuitClosed";
    public static final String HIGH_REJECT_RATE = "HighRejectRate";
    public static final String REJECT_RATE_NORMAL = "RejectRateNormal";
    static final int HIGH_PERCENT = 20;
    static final int NORMAL_PERCENT = 15;

    private final EventRecorder events;
    /** By resource uid: whether its reject rate is high. Seeded from the written status after a restart. */
    private final Map<String, Boolean> highRejectRate = new ConcurrentHashMap<>();

    public LiveEvents(EventRecorder events) {
        this.events = events;
    }

    /** Records the Events of the change from {@code current} (null: none written yet) to {@code desired}. */
    public void announce(HasMetadata resource, ResourceStatus current, ResourceStatus desired) {
        if (desired.openCircuits() != null) {
            int before = current == null || current.openCircuits() == null ? 0 : current.openCircuits();
            if (before == 0 && desired.openCircuits() > 0) {
                events.record(resource, EventRecorder.WARNING, CIRCUIT_OPENED, "the circuit is open on " + desired.openCircuits() + " pod(s): "
                        + String.join(", ", desired.openCircuitPods()));
            } else if (before > 0 && desired.openCircuits() == 0) {
                events.record(resource, EventRecorder.NORMAL, CIRCUIT_CLOSED, "the circuit is closed on every pod again");
            }
        }
        Integer percent = percent(desired.rejectRate());
        if (percent == null) {
            return;
        }
        String uid = resource.getMetadata().getUid();
        boolean high = highRejectRate.computeIfAbsent(uid == null ? "" : uid, key -> {
            Integer previous = current == null ? null : percent(current.rejectRate());
            return previous != null && previous >= HIGH_PERCENT;
        });
        if (!high && percent >= HIGH_PERCENT) {
            highRejectRate.put(uid == null ? "" : uid, true);
            events.record(resource, EventRecorder.WARNING, HIGH_REJECT_RATE, desired.rejectRate() + " of requests were rejected over the last minute"
                    + rejectingRules(desired));
        } else if (high && percent < NORMAL_PERCENT) {
            highRejectRate.put(uid == null ? "" : uid, false);
            events.record(resource, EventRecorder.NORMAL, REJECT_RATE_NORMAL, desired.rejectRate() + " of requests were rejected over the last minute");
        }
    }

    /** Forgets a deleted resource. */
    public void forget(HasMetadata resource) {
        if (resource.getMetadata().getUid() != null) {
            highRejectRate.remove(resource.getMetadata().getUid());
        }
    }

    private static String rejectingRules(ResourceStatus status) {
        List<String> rules = status.rules().stream().filter(rule -> rule.rejectedPerMinute() != null && rule.rejectedPerMinute() > 0)
                .map(rule -> rule.rule() + " (" + rule.rejectedPerMinute() + "/min)").toList();
        return rules.isEmpty() ? "" : ", by rule " + String.join(", ", rules);
    }

    private static Integer percent(String rate) {
        if (rate == null || !rate.endsWith("%")) {
            return null;
        }
        try {
            return Integer.parseInt(rate.substring(0, rate.length() - 1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
