package dev.sluice.sidecar.enforce;

import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.http.Enforced;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.limit.RateLimiter;
import dev.sluice.sidecar.route.OutboundRoutes;
import java.util.List;
import java.util.Map;

/**
 * Everything one configuration puts in force, compiled whole by {@link EnforcementCompiler} before it
 * is swapped in with one write ({@link InForce}). A reload that fails anywhere never produces one, so
 * the previous stays in force entire. A request reads it once and is enforced by that one throughout.
 *
 * @param generation the operator's generation of the document, or -1 before the first load
 * @param loaded the document in force, or null before the first load
 * @param gates the concurrency gates of the policies that select this pod, in policy order
 * @param inbound the guard of calls to the pod's app, or null when no breaker guards them
 * @param guards the guard of each target: {@code inbound} and route names
 * @param routes the outbound routes, each with its guard and its own rate limits
 * @param warnings what the gates, breakers and routes left out and why (the rate limits' own are
 *     {@code limiter().warnings()})
 */
public record Enforcement(long generation, LoadedConfig loaded, RateLimiter limiter, PolicyGate[] gates, Guard inbound,
                          Map<String, Guard> guards, List<OutboundRoutes.Target> routes, List<String> warnings) implements Enforced {
    /** The target name of the inbound guard among {@link #guards}. */
    public static final String INBOUND = "inbound";

    /** Nothing in force yet; rate limits compiled from {@code limiter} on hand on what it shares (the Redis stores). */
    static Enforcement nothing(RateLimiter limiter) {
        return new Enforcement(-1, null, limiter, new PolicyGate[0], null, Map.of(), List.of(), List.of());
    }

    /** A request to the pod's app is guarded by the inbound guard. */
    @Override
    public Guard guard() {
        return inbound;
    }
}
