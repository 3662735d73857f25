package dev.sluice.operator;

import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import java.util.List;

/**
 * Fluent CircuitBreaker specs and retries for tests: {@code BreakerSpecs.inbound().timeout("5s").build()}.
 * A field left unset stays null, so the spec's own defaults apply as they would to a resource.
 */
public final class BreakerSpecs {
    private LabelSelector podSelector;
    private BreakerTarget target;
    private Integer failureRateThreshold;
    private Integer slowCallRateThreshold;
    private String slowCallDuration;
    private Integer minimumNumberOfCalls;
    private WindowConfig slidingWindow;
    private String waitDurationInOpenState;
    private Integer permittedCallsInHalfOpen;
    private List<Integer> failureStatuses;
    private List<FailureKind> failureErrors;
    private String timeout;
    private RetryConfig retry;

    private BreakerSpecs(BreakerTarget target) {
        this.target = target;
    }

    public static BreakerSpecs inbound() {
        return new BreakerSpecs(BreakerTarget.inbound());
    }

    /** An Outbound target; {@code route} may be null, which the validators refuse. */
    public static BreakerSpecs outbound(RouteConfig route) {
        return new BreakerSpecs(new BreakerTarget(BreakerTargetType.Outbound, route));
    }

    public static RouteConfig route(String name, String upstream, int localPort) {
        return new RouteConfig(name, upstream, localPort, null);
    }

    public static Retries retry() {
        return new Retries();
    }

    public BreakerSpecs podSelector(LabelSelector podSelector) {
        this.podSelector = podSelector;
        return this;
    }

    public BreakerSpecs failureRateThreshold(Integer percent) {
        this.failureRateThreshold = percent;
        return this;
    }

    public BreakerSpecs slowCalls(Integer ratePercent, String duration) {
        this.slowCallRateThreshold = ratePercent;
        this.slowCallDuration = duration;
        return this;
    }

    public BreakerSpecs minimumNumberOfCalls(Integer calls) {
        this.minimumNumberOfCalls = calls;
        return this;
    }

    public BreakerSpecs slidingWindow(WindowConfig.WindowType type, int size) {
        this.slidingWindow = new WindowConfig(type, size);
        return this;
    }

    public BreakerSpecs waitDurationInOpenState(String duration) {
        this.waitDurationInOpenState = duration;
        return this;
    }

    public BreakerSpecs permittedCallsInHalfOpen(Integer calls) {
        this.permittedCallsInHalfOpen = calls;
        return this;
    }

    public BreakerSpecs failureStatuses(Integer... statuses) {
        this.failureStatuses = List.of(statuses);
        return this;
    }

    public BreakerSpecs failureErrors(FailureKind... errors) {
        this.failureErrors = List.of(errors);
        return this;
    }

    public BreakerSpecs timeout(String timeout) {
        this.timeout = timeout;
        return this;
    }

    public BreakerSpecs retry(Retries retries) {
        this.retry = retries.build();
        return this;
    }

    public CircuitBreakerSpec build() {
        return new CircuitBreakerSpec(podSelector, target, failureRateThreshold, slowCallRateThreshold, slowCallDuration,
                minimumNumberOfCalls, slidingWindow, waitDurationInOpenState, permittedCallsInHalfOpen, failureStatuses, failureErrors,
                timeout, retry);
    }

    /** A breaker's retries; unset fields take the document's defaults. */
    public static final class Retries {
        private Integer maxAttempts;
        private String backoffBase;
        private String backoffMax;
        private Boolean jitter;
        private List<Integer> retryOn;
        private List<String> methods;
        private Integer budgetPercent;

        private Retries() {
        }

        public Retries maxAttempts(int attempts) {
            this.maxAttempts = attempts;
            return this;
        }

        public Retries backoff(String base, String max) {
            this.backoffBase = base;
            this.backoffMax = max;
            return this;
        }

        public Retries jitter(boolean jitter) {
            this.jitter = jitter;
            return this;
        }

        public Retries retryOn(Integer... statuses) {
            this.retryOn = List.of(statuses);
            return this;
        }

        public Retries methods(String... methods) {
            this.methods = List.of(methods);
            return this;
        }

        public Retries budgetPercent(int percent) {
            this.budgetPercent = percent;
            return this;
        }

        public RetryConfig build() {
            return new RetryConfig(maxAttempts, backoffBase, backoffMax, jitter, retryOn, methods, budgetPercent, null, null);
        }
    }
}
