package dev.sluice.operator.render.validation;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.breakerSpec;
import static dev.sluice.operator.Resources.inboundBreaker;
import static dev.sluice.operator.Resources.route;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.operator.Retries;
import java.util.List;
import org.junit.jupiter.api.Test;

class BreakerValidationTest {

    @Test
    void defaultsAreValidAndNamedConstants() {
        CircuitBreakerSpec spec = inboundBreaker();

        assertThat(BreakerValidation.validate(breaker("ns", "cb", spec))).isEmpty();
        assertThat(spec.breaker().failureRateThreshold()).isEqualTo(BreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD);
        assertThat(spec.breaker().slidingWindow()).isEqualTo(new WindowConfig(WindowConfig.WindowType.Count, WindowConfig.DEFAULT_SIZE));
        assertThat(spec.breaker().failureStatuses()).isEqualTo(BreakerConfig.DEFAULT_FAILURE_STATUSES);
    }

    @Test
    void anOutboundTargetNeedsAUsableRoute() {
        CircuitBreakerSpec missingRoute = breakerSpec(BreakerConfig.builder().target(BreakerTargetType.Outbound).build());
        CircuitBreakerSpec badRoute = breakerSpec(BreakerConfig.builder().target(BreakerTargetType.Outbound)
                .route(route("Payments", "ftp://pay.example.com", 70000)).build());

        assertThat(BreakerValidation.validate(breaker("ns", "cb", missingRoute))).extracting(FieldError::field)
                .containsExactly("spec.target.route");
        assertThat(BreakerValidation.validate(breaker("ns", "cb", badRoute))).extracting(FieldError::field)
                .containsExactlyInAnyOrder("spec.target.route.name", "spec.target.route.upstream", "spec.target.route.localPort");
    }

    @Test
    void reportsThresholdsDurationsAndRetriesWithTheirFields() {
        RetryConfig retry = Retries.of().maxAttempts(1).backoff("5s", "1s").retryOn(503, 503).methods("get")
                .grpcRetryOn(GrpcStatus.UNAVAILABLE, GrpcStatus.UNAVAILABLE).budgetPercent(0).build();
        CircuitBreakerSpec spec = breakerSpec(BreakerConfig.builder().failureRateThreshold(0).slowCallRateThreshold(50)
                .slidingWindow(new WindowConfig(WindowConfig.WindowType.Time, 7200)).waitDurationInOpenState("soon").failureStatuses(List.of(700))
                .retry(retry).build());

        assertThat(BreakerValidation.validate(breaker("ns", "cb", spec))).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.failureRateThreshold",
                "spec.slowCallDuration",
                "spec.slidingWindow.size",
                "spec.waitDurationInOpenState",
                "spec.failureStatuses[0]",
                "spec.retry.maxAttempts",
                "spec.retry.backoffBase",
                "spec.retry.retryOn[1]",
                "spec.retry.methods[0]",
                "spec.retry.grpcRetryOn[1]",
                "spec.retry.budgetPercent");
    }

    /** The operator and the sidecar refuse a breaker with the same checks, so with the same words. */
    @Test
    void reportsWhatTheSidecarWouldRefuseInTheSidecarsWords() {
        CircuitBreakerSpec spec = breakerSpec(BreakerConfig.builder().slidingWindow(new WindowConfig(WindowConfig.WindowType.Time, 7200))
                .failureStatuses(List.of(99)).timeout("soon").build());

        List<FieldError> sidecar = ResilienceValidator.validateBreakers(List.of(spec.toBreakerConfig("ns", "cb")), "breakers");

        assertThat(sidecar).hasSize(3);
        assertThat(BreakerValidation.validate(breaker("ns", "cb", spec))).containsExactlyElementsOf(sidecar.stream()
                .map(error -> new FieldError(error.field().replace("breakers[0]", "spec"), error.message())).toList());
    }
}
