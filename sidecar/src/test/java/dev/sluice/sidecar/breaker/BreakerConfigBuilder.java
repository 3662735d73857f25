package dev.sluice.sidecar.breaker;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.WindowConfig;
import java.util.List;

/**
 * A {@link BreakerConfig} for tests, naming only what a test is about; every field left unset is
 * null, so the document's default applies, as in a YAML document that omits it.
 */
final class BreakerConfigBuilder {
    private final String namespace;
    private final String name;
    private Integer failureRateThreshold;
    private Integer slowCallRateThreshold;
    private String slowCallDuration;
    private Integer minimumNumberOfCalls;
    private WindowConfig slidingWindow;
    private String waitDurationInOpenState;
    private Integer permittedCallsInHalfOpen;
    private List<FailureKind> failureErrors;

    private BreakerConfigBuilder(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    /** A breaker on calls to the pod's app. */
    static BreakerConfigBuilder inbound(String namespace, String name) {
        return new BreakerConfigBuilder(namespace, name);
    }

    BreakerConfigBuilder failureRateThreshold(int percent) {
        this.failureRateThreshold = percent;
        return this;
    }

    /** {@code percent} and {@code duration} may be null: the defaults. */
    BreakerConfigBuilder slowCalls(Integer percent, String duration) {
        this.slowCallRateThreshold = percent;
        this.slowCallDuration = duration;
        return this;
    }

    BreakerConfigBuilder minimumNumberOfCalls(int calls) {
        this.minimumNumberOfCalls = calls;
        return this;
    }

    BreakerConfigBuilder countWindow(int calls) {
        this.slidingWindow = new WindowConfig(WindowConfig.WindowType.Count, calls);
        return this;
    }

    BreakerConfigBuilder waitInOpen(String duration) {
        this.waitDurationInOpenState = duration;
        return this;
    }

    BreakerConfigBuilder permittedCallsInHalfOpen(int calls) {
        this.permittedCallsInHalfOpen = calls;
        return this;
    }

    /** The errors that count as failures; null: the default. */
    BreakerConfigBuilder failureErrors(List<FailureKind> errors) {
        this.failureErrors = errors;
        return this;
    }

    BreakerConfig build() {
        return new BreakerConfig(name, namespace, null, BreakerTargetType.Inbound, null, failureRateThreshold, slowCallRateThreshold,
                slowCallDuration, minimumNumberOfCalls, slidingWindow, waitDurationInOpenState, permittedCallsInHalfOpen, null,
                failureErrors, null, null);
    }
}
