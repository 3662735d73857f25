package dev.sluice.sidecar.route;

import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.http.Enforced;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.http.Forwarder;
import dev.sluice.sidecar.http.RateLimitHandler;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.Undertow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioWorker;

/**
 * The outbound routes' listeners: for each route, the app calls {@code http://127.0.0.1:<localPort>}
 * and the sidecar applies the route's rate limits, then its breaker, timeout and retries, on the way
 * to the route's upstream. Listeners share the traffic port's XNIO worker (no threads of their own);
 * a reload compiles each route's limits aside ({@link #compileLimits}), then, once it is in force,
 * keeps a route's listener when its port is unchanged and swaps what it enforces, starts the new ones
 * and stops the removed ones. A port that cannot be bound is reported, not fatal.
 */
public final class OutboundRoutes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboundRoutes.class);
    private static final String LOOPBACK = "127.0.0.1";

    private final MeterRegistry registry;
    private final LimiterClock clock;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private final Map<String, String> failures = new HashMap<>();
    private List<Target> desired = List.of();
    private XnioWorker worker;

    private static final PolicyGate[] NO_GATES = new PolicyGate[0];

    /** A route, the guard of its calls, and its rate limits compiled by {@link #compileLimits}: what a call through it is enforced with. */
    public record Target(RouteConfig route, Guard guard, RateLimiter limiter) implements Enforced {
        /** Backpressure is a policy's, for the pod's own traffic; a route has none. */
        @Override
        public PolicyGate[] gates() {
            return NO_GATES;
        }
    }

    public OutboundRoutes(MeterRegistry registry, LimiterClock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /** Starts listening, on {@code worker}'s threads, for the routes in force. */
    public synchronized void start(XnioWorker worker) {
        this.worker = worker;
        update(desired);
    }

    /** Brings the listeners in line with {@code targets}. */
    public synchronized void update(List<Target> targets) {
        desired = List.copyOf(targets);
        if (worker == null) {
            return;
        }
        Map<String, Target> byName = new LinkedHashMap<>();
        targets.forEach(target -> byName.put(target.route().name(), target));
        // The limits of a route whose listener moves to another port were compiled from the old listener's.
        Map<String, RateLimiter> compiledFrom = new HashMap<>();
        for (String name : new ArrayList<>(listeners.keySet())) {
            Listener listener = listeners.get(name);
            Target target = byName.get(name);
            if (target == null || !target.route().localPort().equals(listener.port)) {
                listener.stop();
                listeners.remove(name);
                if (target == null) {
                    listener.target.get().limiter().retire();
                } else {
                    compiledFrom.put(name, listener.target.get().limiter());
                }
            }
        }
        failures.keySet().retainAll(byName.keySet());
        for (Target target : targets) {
            String name = target.route().name();
            Listener listener = listeners.get(name);
            if (listener != null) {
                target.limiter().putInForce(listener.target.getAndSet(target).limiter());
                continue;
            }
            RateLimiter previous = compiledFrom.getOrDefault(name, RateLimiter.empty(clock));
            try {
                listeners.put(name, new Listener(target));
                target.limiter().putInForce(previous);
                failures.remove(name);
                LOG.info("outbound route {} listening on {}:{} -> {}", name, LOOPBACK, target.route().localPort(), target.route().upstream());
            } catch (RuntimeException e) {
                target.limiter().discard(previous);
                previous.retire();
                failures.put(name, "cannot listen on " + LOOPBACK + ":" + target.route().localPort() + ": " + e.getMessage());
                LOG.error("outbound route {} cannot listen on {}:{}; its calls fail until the port is free and the configuration reloads",
                        name, LOOPBACK, target.route().localPort(), e);
            }
        }
    }

    /** Undoes {@link #compileLimits} for targets that will not be put in force; the listeners keep what they enforce. */
    public synchronized void discard(List<Target> targets) {
        for (Target target : targets) {
            Listener listener = listeners.get(target.route().name());
            target.limiter().discard(listener == null ? RateLimiter.empty(clock) : listener.target.get().limiter());
        }
    }

    /** Per route: its name, port, upstream, whether it listens and why not. */
    public synchronized List<Map<String, Object>> view() {
        List<Map<String, Object>> view = new ArrayList<>();
        for (Target target : desired) {
            RouteConfig route = target.route();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", route.name());
            entry.put("localPort", route.localPort());
            entry.put("upstream", route.upstream());
            entry.put("rules", route.rules().size());
            entry.put("listening", listeners.containsKey(route.name()));
            entry.put("error", failures.get(route.name()));
            view.add(entry);
        }
        return view;
    }

    /**
     * The route's own rate limits, compiled aside as one policy named after the route; its listener's
     * limits keep their counters where the rules are unchanged.
     */
    public synchronized RateLimiter compileLimits(RouteConfig route) {
        Listener listener = listeners.get(route.name());
        RateLimiter previous = listener == null ? RateLimiter.empty(clock) : listener.target.get().limiter();
        PolicyConfig policy = new PolicyConfig("route-" + route.name(), null, LabelSelector.everything(), Mode.Enforce, Scope.Local,
                null, route.rules());
        return RateLimiter.compile(SidecarConfig.of(List.of(policy)), null, previous, registry, clock);
    }

    @Override
    public synchronized void close() {
        listeners.values().forEach(Listener::stop);
        listeners.clear();
    }

    private final class Listener {
        final int port;
        /** Limits and guard swapped as one, so that a call never meets the limits of one reload and the breaker of another. */
        final AtomicReference<Target> target;
        final Undertow server;

        Listener(Target target) {
            this.port = target.route().localPort();
            this.target = new AtomicReference<>(target);
            this.server = Undertow.builder()
                    .setWorker(worker)
                    .addHttpListener(port, LOOPBACK)
                    .setHandler(new RateLimitHandler(this.target::get, Forwarder.toRoute()))
                    .build();
            server.start();
        }

        void stop() {
            server.stop();
        }
    }
}
