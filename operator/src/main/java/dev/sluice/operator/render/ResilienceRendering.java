package dev.sluice.operator.render;

import dev.sluice.api.config.AdaptiveAlgorithm;
import dev.sluice.api.config.AdaptiveConfig;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.SheddingConfig;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.AdaptiveConcurrency;
import dev.sluice.api.v1alpha1.Backpressure;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.ConcurrencyLimit;
import dev.sluice.api.v1alpha1.LoadShedding;
import dev.sluice.api.v1alpha1.OutboundRoute;
import dev.sluice.api.v1alpha1.RetryPolicy;
import dev.sluice.api.v1alpha1.SlidingWindow;
import java.util.List;

/**
 * A CircuitBreaker's spec and a policy's {@code backpressure} as the sidecar runs them, as pure
 * functions: the resource fields map one to one onto the sidecar document's, with the resource's
 * defaults made explicit.
 */
public final class ResilienceRendering {
    private ResilienceRendering() {
    }

    public static BreakerConfig toBreakerConfig(String namespace, String name, CircuitBreakerSpec spec) {
        BreakerTarget target = spec.target();
        boolean outbound = target != null && target.type() == BreakerTarget.TargetType.Outbound;
        SlidingWindow window = spec.slidingWindow();
        List<FailureKind> errors = spec.failureErrors().stream().map(error -> FailureKind.valueOf(error.name())).toList();
        return new BreakerConfig(name, namespace, spec.podSelector(),
                outbound ? BreakerTargetType.Outbound : BreakerTargetType.Inbound,
                outbound ? route(target.route()) : null,
                spec.failureRateThreshold(), spec.slowCallRateThreshold(), spec.slowCallDuration(), spec.minimumNumberOfCalls(),
                new WindowConfig(WindowConfig.WindowType.valueOf(window.type().name()), window.size()),
                spec.waitDurationInOpenState(), spec.permittedCallsInHalfOpen(), spec.failureStatuses(), errors, spec.timeout(),
                spec.retry() == null ? null : retry(spec.retry()));
    }

    public static BackpressureConfig toBackpressureConfig(Backpressure backpressure) {
        if (backpressure == null) {
            return null;
        }
        ConcurrencyLimit concurrency = backpressure.concurrency();
        LoadShedding shedding = backpressure.shedding();
        AdaptiveConcurrency adaptive = backpressure.adaptive();
        return new BackpressureConfig(
                concurrency == null ? null : new ConcurrencyConfig(concurrency.maxConcurrent(), concurrency.queueSize(), concurrency.maxWait()),
                shedding == null ? null : new SheddingConfig(shedding.priorityHeader(), shedding.defaultPriority(), shedding.priorities().stream()
                        .map(level -> new PriorityConfig(level.name(), level.shedAtUtilisation())).toList()),
                adaptive == null ? null : new AdaptiveConfig(adaptive.algorithm() == null ? null : AdaptiveAlgorithm.valueOf(adaptive.algorithm().name()),
                        adaptive.minLimit(), adaptive.maxLimit(), adaptive.initialLimit()));
    }

    private static RouteConfig route(OutboundRoute route) {
        return route == null ? null : new RouteConfig(route.name(), route.upstream(), route.localPort(), List.of());
    }

    private static RetryConfig retry(RetryPolicy retry) {
        return new RetryConfig(retry.maxAttempts(), retry.backoffBase(), retry.backoffMax(), retry.jitter(), retry.retryOn(), retry.methods(),
                retry.budgetPercent(), null, null);
    }
}
