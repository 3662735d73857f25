package dev.sluice.sidecar.resilience;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.GateMetrics;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.breaker.TimeSource;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.http.UpstreamClient;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.retry.RetryRules;
import dev.sluice.sidecar.route.OutboundRoutes;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioWorker;

/**
 * The backpressure and circuit breaking of each configuration: the concurrency gates of the policies
 * that select this pod, the inbound guard (breaker, timeout, retries for calls to the app) and the
 * outbound routes. A configuration is {@linkplain #compile compiled} aside into a {@link Compiled},
 * which the watcher swaps in with the rate limits and then {@linkplain #commit commits} (or
 * {@linkplain #discard discards} when the reload is refused). What a reload leaves unchanged keeps its
 * state: a gate its requests in flight and queue, a breaker its window and state, a retry policy its
 * budget.
 */
public final class Resilience implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Resilience.class);
    private static final String INBOUND = "inbound";

    private final MeterRegistry registry;
    private final LimiterClock limiterClock;
    private final Clock clock;
    private final Duration defaultTimeout;
    private final int connectionsPerThread;
    private final UpstreamClient app;
    private final OutboundRoutes routes;
    private Compiled committed = Compiled.EMPTY;

    /**
     * What one configuration puts in force: the gates in policy order, the guard of each target
     * ({@code inbound} or a route name), the outbound routes with their limits, and warnings.
     */
    public record Compiled(long generation, PolicyGate[] gates, Guard inbound, Map<String, Guard> guards,
                           List<OutboundRoutes.Target> routes, List<String> warnings) {
        public static final Compiled EMPTY = new Compiled(-1, new PolicyGate[0], null, Map.of(), List.of(), List.of());
    }

    /**
     * @param app the pod's app, for the inbound guard
     * @param defaultTimeout the per-attempt timeout of a breaker that sets none (the sidecar's upstream timeout)
     */
    public Resilience(URI app, Duration defaultTimeout, int connectionsPerThread, MeterRegistry registry, LimiterClock limiterClock) {
        this.registry = registry;
        this.limiterClock = limiterClock;
        this.clock = new TimeSource(limiterClock);
        this.defaultTimeout = defaultTimeout;
        this.connectionsPerThread = connectionsPerThread;
        this.app = UpstreamClient.inbound(app, connectionsPerThread);
        this.routes = new OutboundRoutes(registry, limiterClock);
    }

    /** Starts the outbound routes' listeners on the traffic server's worker. */
    public void startRoutes(XnioWorker worker) {
        routes.start(worker);
    }

    /**
     * Compiles {@code config} for a pod with {@code labels} (null: every policy applies) aside, reusing
     * what is unchanged from the configuration committed last; nothing in force changes. On failure
     * whatever was built is undone before the exception propagates.
     */
    public synchronized Compiled compile(SidecarConfig config, Map<String, String> labels, long generation) {
        Compiled previous = committed;
        List<String> warnings = new ArrayList<>();
        List<PolicyGate> gates = new ArrayList<>();
        Map<String, Guard> guards = new LinkedHashMap<>();
        List<OutboundRoutes.Target> targets = new ArrayList<>();
        try {
            Map<String, PolicyGate> previousGates = new HashMap<>();
            for (PolicyGate gate : previous.gates()) {
                previousGates.put(gate.gate().policy(), gate);
            }
            for (PolicyConfig policy : config.policies()) {
                BackpressureConfig backpressure = policy.backpressure();
                if (backpressure == null || labels != null && !policy.podSelector().matches(labels)) {
                    continue;
                }
                PolicyGate kept = previousGates.get(policy.qualifiedName());
                if (kept != null && kept.gate().config().equals(backpressure)) {
                    gates.add(kept);
                    continue;
                }
                ConcurrencyGate gate = new ConcurrencyGate(policy.qualifiedName(), backpressure);
                gates.add(new PolicyGate(gate, new GateMetrics(gate, registry)));
            }
            Map<String, BreakerConfig> routeBreakers = new LinkedHashMap<>();
            for (BreakerConfig breaker : config.breakers()) {
                if (labels != null && !breaker.podSelector().matches(labels)) {
                    continue;
                }
                String target = breaker.target() == BreakerTargetType.Inbound ? INBOUND : breaker.route().name();
                if (guards.containsKey(target)) {
                    warnings.add("breaker " + breaker.qualifiedName() + " is ignored: " + target + " is already guarded by breaker "
                            + guards.get(target).breaker().name());
                    continue;
                }
                guards.put(target, guard(breaker, target, previous.guards().get(target)));
                if (breaker.target() == BreakerTargetType.Outbound) {
                    routeBreakers.put(target, breaker);
                }
            }
            for (Map.Entry<String, BreakerConfig> route : routeBreakers.entrySet()) {
                RouteConfig routeConfig = route.getValue().route();
                targets.add(new OutboundRoutes.Target(routeConfig, guards.get(route.getKey()), routes.compileLimits(routeConfig)));
            }
        } catch (RuntimeException e) {
            discard(new Compiled(generation, gates.toArray(PolicyGate[]::new), guards.get(INBOUND), guards, targets, warnings));
            throw e;
        }
        return new Compiled(generation, gates.toArray(PolicyGate[]::new), guards.get(INBOUND), Map.copyOf(guards), List.copyOf(targets),
                List.copyOf(warnings));
    }

    /**
     * Completes the swap once {@code next} is in force: the meters of what was replaced or dropped go
     * and those of what is new come, replaced outbound connections close, and the route listeners
     * follow.
     */
    public synchronized void commit(Compiled next) {
        Compiled previous = committed;
        committed = next;
        Set<Object> kept = identities(next);
        for (PolicyGate gate : previous.gates()) {
            if (!kept.contains(gate)) {
                gate.metrics().unregisterGauges();
            }
        }
        for (Map.Entry<String, Guard> old : previous.guards().entrySet()) {
            if (!kept.contains(old.getValue())) {
                old.getValue().breaker().unregister();
                if (!INBOUND.equals(old.getKey())) {
                    old.getValue().close();
                }
            }
        }
        removeCountersNotIn(previous, next);
        for (PolicyGate gate : next.gates()) {
            gate.metrics().registerGauges();
        }
        next.guards().values().forEach(guard -> guard.breaker().registerGauges());
        routes.update(next.routes());
        next.warnings().forEach(warning -> LOG.warn("{}", warning));
    }

    /** Undoes the compilation of {@code candidate}, which will not be put in force; what is committed stays as it is. */
    public synchronized void discard(Compiled candidate) {
        Compiled inForce = committed;
        Set<Object> kept = identities(inForce);
        removeCountersNotIn(candidate, inForce);
        candidate.guards().forEach((target, guard) -> {
            if (!kept.contains(guard) && !INBOUND.equals(target)) {
                guard.close();
            }
        });
        routes.discard(candidate.routes());
    }

    private static Set<Object> identities(Compiled compiled) {
        Set<Object> identities = Collections.newSetFromMap(new IdentityHashMap<>());
        identities.addAll(List.of(compiled.gates()));
        identities.addAll(compiled.guards().values());
        return identities;
    }

    /** Counters are shared by name and labels between successive configurations: only those {@code kept} no longer has go. */
    private void removeCountersNotIn(Compiled from, Compiled kept) {
        Set<Meter.Id> keep = new HashSet<>();
        counters(kept).forEach(meter -> keep.add(meter.getId()));
        for (Meter meter : counters(from)) {
            if (!keep.contains(meter.getId())) {
                registry.remove(meter);
            }
        }
    }

    private static List<Meter> counters(Compiled compiled) {
        List<Meter> counters = new ArrayList<>();
        for (PolicyGate gate : compiled.gates()) {
            counters.addAll(gate.metrics().counters());
        }
        compiled.guards().values().forEach(guard -> counters.addAll(guard.counters()));
        return counters;
    }

    /** The previous guard if its breaker's configuration is unchanged, else a new one (its breaker's gauges come at commit). */
    private Guard guard(BreakerConfig config, String target, Guard previous) {
        if (previous != null && previous.breaker().config().equals(config)) {
            return previous;
        }
        Breaker breaker = Breaker.create(config, target, clock, registry);
        RetryRules retry = config.retry() == null ? null : new RetryRules(config.retry(), limiterClock);
        Duration timeout = config.timeout() == null ? defaultTimeout : LimitPeriod.parseDuration(config.timeout());
        UpstreamClient client = config.target() == BreakerTargetType.Inbound
                ? app
                : UpstreamClient.outbound(URI.create(config.route().upstream()), connectionsPerThread);
        return new Guard(breaker, retry, timeout, client, registry);
    }

    /** What {@code /state} on the admin port shows: breakers, routes, gates. */
    public synchronized Map<String, Object> view() {
        Compiled current = committed;
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("generation", current.generation() < 0 ? null : current.generation());
        List<Map<String, Object>> breakers = new ArrayList<>();
        current.guards().forEach((target, guard) -> breakers.add(StateView.breaker(target, guard)));
        view.put("breakers", breakers);
        view.put("routes", routes.view());
        List<Map<String, Object>> gates = new ArrayList<>();
        for (PolicyGate gate : current.gates()) {
            gates.add(StateView.gate(gate.gate()));
        }
        view.put("backpressure", gates);
        view.put("warnings", current.warnings());
        return view;
    }

    @Override
    public synchronized void close() {
        routes.close();
        committed.guards().values().forEach(Guard::close);
        app.close();
    }
}
