package dev.sluice.sidecar.resilience;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.GateMetrics;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.breaker.TimeSource;
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.http.UpstreamClient;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.retry.RetryRules;
import dev.sluice.sidecar.route.OutboundRoutes;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioWorker;

/**
 * The backpressure and circuit breaking in force, rebuilt from each configuration the watcher puts in
 * force: the concurrency gates of the policies that select this pod, the inbound guard (breaker,
 * timeout, retries for calls to the app) and the outbound routes. What a reload leaves unchanged keeps
 * its state: a gate its requests in flight and queue, a breaker its window and state, a retry policy
 * its budget. Requests read the current state through one volatile field.
 */
public final class Resilience implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Resilience.class);

    private final MeterRegistry registry;
    private final LimiterClock limiterClock;
    private final Clock clock;
    private final Duration defaultTimeout;
    private final int connectionsPerThread;
    private final UpstreamClient app;
    private final OutboundRoutes routes;
    private volatile State state = State.EMPTY;

    /** What is in force: the gates in policy order, the guard of each target ({@code inbound} or a route name), and warnings. */
    private record State(long generation, PolicyGate[] gates, Guard inbound, Map<String, Guard> guards, List<String> warnings) {
        static final State EMPTY = new State(-1, new PolicyGate[0], null, Map.of(), List.of());
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

    /** The concurrency gates a request passes, in policy order; empty when no policy applies backpressure. */
    public PolicyGate[] gates() {
        return state.gates();
    }

    /** The guard of calls to the app, or null when no breaker guards inbound traffic. */
    public Guard inbound() {
        return state.inbound();
    }

    /** Starts the outbound routes' listeners on the traffic server's worker. */
    public void startRoutes(XnioWorker worker) {
        routes.start(worker);
    }

    /** Rebuilds from a configuration just put in force. */
    public synchronized void apply(LoadedConfig loaded) {
        SidecarConfig config = loaded.config();
        Map<String, String> labels = loaded.podLabels();
        State previous = state;
        List<String> warnings = new ArrayList<>();

        Map<String, PolicyGate> previousGates = new HashMap<>();
        for (PolicyGate gate : previous.gates()) {
            previousGates.put(gate.gate().policy(), gate);
        }
        List<PolicyGate> gates = new ArrayList<>();
        for (PolicyConfig policy : config.policies()) {
            BackpressureConfig backpressure = policy.backpressure();
            if (backpressure == null || labels != null && !policy.podSelector().matches(labels)) {
                continue;
            }
            PolicyGate kept = previousGates.remove(policy.qualifiedName());
            if (kept != null && kept.gate().config().equals(backpressure)) {
                gates.add(kept);
                continue;
            }
            if (kept != null) {
                kept.metrics().unregister();
            }
            ConcurrencyGate gate = new ConcurrencyGate(policy.qualifiedName(), backpressure);
            gates.add(new PolicyGate(gate, new GateMetrics(gate, registry)));
        }
        previousGates.values().forEach(gate -> gate.metrics().unregister());

        Map<String, Guard> guards = new LinkedHashMap<>();
        Map<String, BreakerConfig> routeBreakers = new LinkedHashMap<>();
        for (BreakerConfig breaker : config.breakers()) {
            if (labels != null && !breaker.podSelector().matches(labels)) {
                continue;
            }
            String target = breaker.target() == BreakerTargetType.Inbound ? "inbound" : breaker.route().name();
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
        for (Map.Entry<String, Guard> old : previous.guards().entrySet()) {
            Guard replacement = guards.get(old.getKey());
            if (replacement == null) {
                old.getValue().breaker().unregister();
                old.getValue().unregister();
            }
            if (replacement != old.getValue() && !"inbound".equals(old.getKey())) {
                old.getValue().close();
            }
        }
        List<OutboundRoutes.Target> targets = new ArrayList<>();
        routeBreakers.forEach((name, breaker) -> targets.add(new OutboundRoutes.Target(breaker.route(), guards.get(name))));
        state = new State(loaded.generation(), gates.toArray(PolicyGate[]::new), guards.get("inbound"), Map.copyOf(guards), List.copyOf(warnings));
        routes.update(targets);
        warnings.forEach(warning -> LOG.warn("{}", warning));
    }

    /** The previous guard if its breaker's configuration is unchanged, else a new one (the old breaker's meters go first). */
    private Guard guard(BreakerConfig config, String target, Guard previous) {
        if (previous != null && previous.breaker().config().equals(config)) {
            return previous;
        }
        if (previous != null) {
            previous.breaker().unregister();
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
    public Map<String, Object> view() {
        State current = state;
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
        state.guards().values().forEach(Guard::close);
        app.close();
    }
}
