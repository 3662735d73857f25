package dev.sluice.sidecar.enforce;

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
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.http.UpstreamClient;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.limit.SharedStores;
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

/**
 * The one place a configuration becomes an {@link Enforcement}, and the one place what it replaced is
 * retired. {@link #compile} builds everything aside from the document and the Enforcement in force,
 * reusing what is unchanged so that it keeps its state: a rule its counters, a gate its requests in
 * flight and queue, a breaker its window and state, a retry policy its budget. Nothing in force
 * changes until the result is swapped in; then {@link #retire} removes the meters of what was replaced
 * or dropped, registers those of what is new, hands the open upgraded connections a replaced gate counted
 * to its replacement, closes replaced outbound connections and brings the route listeners in line. A compilation that fails undoes what it built before the exception propagates.
 */
public final class EnforcementCompiler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnforcementCompiler.class);

    private final MeterRegistry registry;
    private final LimiterClock limiterClock;
    private final Clock clock;
    private final SharedStores sharedStores;
    private final Duration defaultTimeout;
    private final int connectionsPerThread;
    private final UpstreamClient app;
    private final OutboundRoutes routes;

    /**
     * @param app the connections to the pod's app, for the inbound guard; closed with the compiler
     * @param defaultTimeout the per-attempt timeout of a breaker that sets none (the sidecar's upstream timeout)
     * @param sharedStores where Global policies find their Redis store
     * @param routes the outbound routes' listeners, which follow each Enforcement put in force
     */
    public EnforcementCompiler(UpstreamClient app, Duration defaultTimeout, int connectionsPerThread, MeterRegistry registry, LimiterClock limiterClock,
                               SharedStores sharedStores, OutboundRoutes routes) {
        this.registry = registry;
        this.limiterClock = limiterClock;
        this.clock = new TimeSource(limiterClock);
        this.sharedStores = sharedStores;
        this.defaultTimeout = defaultTimeout;
        this.connectionsPerThread = connectionsPerThread;
        this.app = app;
        this.routes = routes;
    }

    /** What is in force before the first configuration: no limits, gates or guards. */
    public Enforcement nothing() {
        return Enforcement.nothing(RateLimiter.empty(limiterClock, sharedStores));
    }

    /**
     * Compiles {@code loaded} for the pod's labels (none: every policy applies) aside, reusing what is
     * unchanged from {@code previous}, the Enforcement in force; nothing in force changes.
     */
    public Enforcement compile(LoadedConfig loaded, Enforcement previous) {
        SidecarConfig config = loaded.config();
        Map<String, String> labels = loaded.podLabels();
        RateLimiter limiter = RateLimiter.compile(config, labels, previous.limiter(), registry, limiterClock);
        List<String> warnings = new ArrayList<>();
        List<PolicyGate> gates = new ArrayList<>();
        Map<String, Guard> guards = new LinkedHashMap<>();
        List<OutboundRoutes.Target> targets = new ArrayList<>();
        try {
            compileGates(config, labels, previous, gates);
            Map<String, BreakerConfig> routeBreakers = new LinkedHashMap<>();
            for (BreakerConfig breaker : config.breakers()) {
                if (labels != null && !breaker.podSelector().matches(labels)) {
                    continue;
                }
                String target = breaker.target() == BreakerTargetType.Inbound ? Enforcement.INBOUND : breaker.route().name();
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
            discard(new Enforcement(loaded.generation(), loaded, limiter, gates.toArray(PolicyGate[]::new), guards.get(Enforcement.INBOUND),
                    guards, targets, warnings), previous);
            throw e;
        }
        return new Enforcement(loaded.generation(), loaded, limiter, gates.toArray(PolicyGate[]::new), guards.get(Enforcement.INBOUND),
                Map.copyOf(guards), List.copyOf(targets), List.copyOf(warnings));
    }

    /** The gates of the policies that select this pod; a gate whose backpressure is unchanged is kept with its state. */
    private void compileGates(SidecarConfig config, Map<String, String> labels, Enforcement previous, List<PolicyGate> gates) {
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
            gates.add(new PolicyGate(gate, new GateMetrics(gate, registry, limiterClock)));
        }
    }

    /** The previous guard if its breaker's configuration is unchanged, else a new one (its breaker's gauges come when it is in force). */
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

    /**
     * Completes the swap once {@code next} replaced {@code previous} in force. What is in force is
     * decided; retiring what it replaced is tidying, so a failure of one part is logged and does not stop
     * the other's.
     */
    public void retire(Enforcement previous, Enforcement next) {
        try {
            next.limiter().putInForce(previous.limiter());
        } catch (RuntimeException e) {
            LOG.error("configuration generation {} is in force, but retiring the rate limits it replaced failed", next.generation(), e);
        }
        try {
            retireResilience(previous, next);
        } catch (RuntimeException e) {
            LOG.error("configuration generation {} is in force, but retiring the gates and breakers it replaced failed",
                    next.generation(), e);
        }
    }

    private void retireResilience(Enforcement previous, Enforcement next) {
        Set<Object> kept = identities(next);
        Map<String, ConcurrencyGate> nextGates = new HashMap<>();
        for (PolicyGate gate : next.gates()) {
            nextGates.put(gate.gate().policy(), gate.gate());
        }
        for (PolicyGate gate : previous.gates()) {
            if (!kept.contains(gate)) {
                ConcurrencyGate replacement = nextGates.get(gate.gate().policy());
                if (replacement != null) {
                    // Open WebSockets outlive the configuration they were admitted under; they stay counted.
                    replacement.adoptUpgradedConnections(gate.gate());
                }
                gate.metrics().unregisterGauges();
            }
        }
        for (Map.Entry<String, Guard> old : previous.guards().entrySet()) {
            if (!kept.contains(old.getValue())) {
                old.getValue().breaker().unregister();
                if (!Enforcement.INBOUND.equals(old.getKey())) {
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
    }

    /** Undoes the compilation of {@code candidate}, which will not be put in force; {@code inForce} stays as it is. */
    private void discard(Enforcement candidate, Enforcement inForce) {
        candidate.limiter().discard(inForce.limiter());
        Set<Object> kept = identities(inForce);
        removeCountersNotIn(candidate, inForce);
        candidate.guards().forEach((target, guard) -> {
            if (!kept.contains(guard) && !Enforcement.INBOUND.equals(target)) {
                guard.close();
            }
        });
        routes.discard(candidate.routes());
    }

    private static Set<Object> identities(Enforcement enforcement) {
        Set<Object> identities = Collections.newSetFromMap(new IdentityHashMap<>());
        identities.addAll(List.of(enforcement.gates()));
        identities.addAll(enforcement.guards().values());
        return identities;
    }

    /** Counters are shared by name and labels between successive configurations: only those {@code kept} no longer has go. */
    private void removeCountersNotIn(Enforcement from, Enforcement kept) {
        Set<Meter.Id> keep = new HashSet<>();
        counters(kept).forEach(meter -> keep.add(meter.getId()));
        for (Meter meter : counters(from)) {
            if (!keep.contains(meter.getId())) {
                registry.remove(meter);
            }
        }
    }

    private static List<Meter> counters(Enforcement enforcement) {
        List<Meter> counters = new ArrayList<>();
        for (PolicyGate gate : enforcement.gates()) {
            counters.addAll(gate.metrics().counters());
        }
        enforcement.guards().values().forEach(guard -> counters.addAll(guard.counters()));
        return counters;
    }

    /** Closes the connections to the app; those of outbound guards close with their guards. */
    @Override
    public void close() {
        app.close();
    }
}
