package dev.sluice.operator.breaker;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.inboundBreaker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.OutboundRoute;
import dev.sluice.api.v1alpha1.RetryPolicy;
import dev.sluice.api.v1alpha1.SlidingWindow;
import java.util.List;
import org.junit.jupiter.api.Test;

class CircuitBreakerValidatorTest {

    @Test
    void defaultsAreValidAndNamedConstants() {
        CircuitBreakerSpec spec = inboundBreaker();

        assertThat(CircuitBreakerValidator.validate(breaker("ns", "cb", spec))).isEmpty();
        assertThat(spec.failureRateThreshold()).isEqualTo(CircuitBreakerSpec.DEFAULT_FAILURE_RATE_THRESHOLD);
        assertThat(spec.slidingWindow()).isEqualTo(new SlidingWindow(SlidingWindow.WindowType.Count, SlidingWindow.DEFAULT_SIZE));
        assertThat(spec.failureStatuses()).isEqualTo(CircuitBreakerSpec.DEFAULT_FAILURE_STATUSES);
    }

    @Test
    void anOutboundTargetNeedsAUsableRoute() {
        CircuitBreakerSpec missingRoute = new CircuitBreakerSpec(null, new BreakerTarget(BreakerTarget.TargetType.Outbound, null),
                null, null, null, null, null, null, null, null, null, null, null);
        CircuitBreakerSpec badRoute = new CircuitBreakerSpec(null, new BreakerTarget(BreakerTarget.TargetType.Outbound,
                new OutboundRoute("Payments", "ftp://pay.example.com", 70000)),
                null, null, null, null, null, null, null, null, null, null, null);

        assertThat(CircuitBreakerValidator.validate(breaker("ns", "cb", missingRoute))).extracting(FieldError::field)
                .containsExactly("spec.target.route");
        assertThat(CircuitBreakerValidator.validate(breaker("ns", "cb", badRoute))).extracting(FieldError::field)
                .containsExactlyInAnyOrder("spec.target.route.name", "spec.target.route.upstream", "spec.target.route.localPort");
    }

    @Test
    void reportsThresholdsDurationsAndRetriesWithTheirFields() {
        RetryPolicy retry = new RetryPolicy(1, "5s", "1s", null, List.of(503, 503), List.of("get"), 0);
        CircuitBreakerSpec spec = new CircuitBreakerSpec(null, BreakerTarget.inbound(), 0, 50, null, null,
                new SlidingWindow(SlidingWindow.WindowType.Time, 7200), "soon", null, List.of(700), null, null, retry);

        assertThat(CircuitBreakerValidator.validate(breaker("ns", "cb", spec))).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.failureRateThreshold",
                "spec.slowCallDuration",
                "spec.slidingWindow.size",
                "spec.waitDurationInOpenState",
                "spec.failureStatuses[0]",
                "spec.retry.maxAttempts",
                "spec.retry.backoffBase",
                "spec.retry.retryOn[1]",
                "spec.retry.methods[0]",
                "spec.retry.budgetPercent");
    }
}
