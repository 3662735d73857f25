package dev.sluice.sidecar.backpressure;

import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.log.ThrottledLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gate's meters: requests in flight (with the open upgraded connections holding a slot, when the policy counts
 * them, and how many of those there are), waiting and the limit in force (gauges), and shed requests by priority and
 * reason ({@code sluice_shed_requests_total}); refusals are logged once per 10 s.
 */
public final class GateMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(GateMetrics.class);

    /** Why a request was refused at a gate, as the {@code reason} label and the JSON body say it. */
    public enum Reason {
        SHED("shed"), QUEUE_FULL("queue_full"), QUEUE_TIMEOUT("queue_timeout"),
        /** The sidecar's room for waiting requests over every policy ({@code --max-parked}) is full. */
        PARKED_FULL("parked_full");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final MeterRegistry registry;
    private final ConcurrencyGate gate;
    private final List<Meter> counters = new ArrayList<>();
    private List<Meter> gauges = List.of();
    private final Counter[][] shed;
    private final LimiterClock clock;
    private final ThrottledLog log = new ThrottledLog();

    /** Registers the counters; the gauges wait for {@link #registerGauges()}, once the gate is in force. */
    public GateMetrics(ConcurrencyGate gate, MeterRegistry registry, LimiterClock clock) {
        this.registry = registry;
        this.gate = gate;
        this.clock = clock;
        String policy = gate.policy();
        Priorities priorities = gate.priorities();
        shed = new Counter[priorities.size()][Reason.values().length];
        for (int rank = 0; rank < priorities.size(); rank++) {
            for (Reason reason : Reason.values()) {
                Counter counter = Counter.builder("sluice_shed_requests")
                        .description("Requests refused with 503 by a policy's backpressure")
                        .tag("policy", policy).tag("priority", priorities.byRank(rank).name()).tag("reason", reason.label())
                        .register(registry);
                shed[rank][reason.ordinal()] = counter;
                counters.add(counter);
            }
        }
    }

    public void refused(ConcurrencyGate gate, Priorities.Priority priority, Reason reason) {
        shed[priority.rank()][reason.ordinal()].increment();
        long count = log.due(clock.nanos());
        if (count >= 0) {
            LOG.warn("{} request(s) refused by the backpressure of policy {}; last: priority {}, {} ({} in flight, {} waiting, limit {})",
                    count, gate.policy(), priority.name(), reason.label(), gate.inFlight(), gate.queued(), gate.limit());
        }
    }

    /**
     * Registers the gauges that read this gate. Not done while the gate is compiled: the names would
     * still be held by the gauges of the gate in force, and a refused reload would leave them reading
     * a gate that never served.
     */
    public void registerGauges() {
        String policy = gate.policy();
        gauges = List.of(
                Gauge.builder("sluice_concurrency_in_flight", gate, ConcurrencyGate::inFlight)
                        .description("Slots taken under a policy's concurrency limit: requests in flight, and open upgraded"
                                + " connections when the policy counts them").tag("policy", policy).register(registry),
                Gauge.builder("sluice_concurrency_upgraded_connections", gate, ConcurrencyGate::upgradedConnections)
                        .description("Open upgraded connections (WebSockets) holding a slot, counted in sluice_concurrency_in_flight;"
                                + " 0 unless the policy sets countUpgradedConnections").tag("policy", policy).register(registry),
                Gauge.builder("sluice_concurrency_queued", gate, ConcurrencyGate::queued)
                        .description("Requests waiting for a slot").tag("policy", policy).register(registry),
                Gauge.builder("sluice_concurrency_limit", gate, ConcurrencyGate::limit)
                        .description("The concurrency limit in force (fixed, adaptive, or the lower of both)").tag("policy", policy)
                        .register(registry));
    }

    /** The shed counters, shared by name and labels with the gate of the same policy in the previous configuration. */
    public List<Meter> counters() {
        return counters;
    }

    /** Removes the gauges, when the gate was replaced or dropped. */
    public void unregisterGauges() {
        gauges.forEach(registry::remove);
    }
}
