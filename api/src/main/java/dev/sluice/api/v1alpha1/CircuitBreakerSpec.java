package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.Durations;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.Syntax;
import dev.sluice.api.config.WindowConfig;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * A circuit breaker in the manner of Resilience4j: over a sliding window of calls, when the failure
 * rate (or the slow-call rate) reaches its threshold after at least {@code minimumNumberOfCalls},
 * the circuit opens and calls fail fast with 503 for {@code waitDurationInOpenState}; then
 * {@code permittedCallsInHalfOpen} trial calls decide whether it closes again. Defaults are the
 * sidecar document's ({@link BreakerConfig}), which are Resilience4j's where it has one. The parts
 * are the document's own records, so the resource and the rendered document cannot drift apart.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.slowCallRateThreshold) == has(self.slowCallDuration)",
        message = "slowCallRateThreshold and slowCallDuration go together: a call is slow when it takes longer than slowCallDuration", fieldPath = ".slowCallDuration")
public record CircuitBreakerSpec(
        @JsonPropertyDescription("The pods whose sidecars run this breaker; empty selects every pod of the namespace.")
        LabelSelector podSelector,
        @JsonPropertyDescription("What the breaker guards: the pod's inbound traffic, or one outbound route.")
        @Required
        BreakerTarget target,
        @JsonPropertyDescription("Failure rate (percent of calls in the window) at which the circuit opens.")
        @Default("" + BreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD) @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer failureRateThreshold,
        @JsonPropertyDescription("Slow-call rate (percent) at which the circuit opens; needs slowCallDuration.")
        @Min(Syntax.MIN_PERCENT) @Max(Syntax.MAX_PERCENT)
        Integer slowCallRateThreshold,
        @JsonPropertyDescription("A call taking longer than this counts as slow, e.g. 2s.")
        @Pattern(Durations.PATTERN)
        String slowCallDuration,
        @JsonPropertyDescription("Calls the window must hold before a rate is computed.")
        @Default("" + BreakerConfig.DEFAULT_MINIMUM_NUMBER_OF_CALLS) @Min(1)
        Integer minimumNumberOfCalls,
        @JsonPropertyDescription("The window over which rates are computed: the last size calls (Count) or seconds (Time).")
        WindowConfig slidingWindow,
        @JsonPropertyDescription("How long the circuit stays open before trial calls, e.g. 60s.")
        @Default(BreakerConfig.DEFAULT_WAIT_DURATION_IN_OPEN_STATE) @Pattern(Durations.PATTERN)
        String waitDurationInOpenState,
        @JsonPropertyDescription("Trial calls let through while half-open.")
        @Default("" + BreakerConfig.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN) @Min(1)
        Integer permittedCallsInHalfOpen,
        @JsonPropertyDescription("Response statuses that count as failures (default 500, 502, 503, 504).")
        @Size(max = 64)
        List<Integer> failureStatuses,
        @JsonPropertyDescription("Errors that count as failures: ConnectFailure, Timeout, Reset (default all).")
        @Size(max = 3)
        List<FailureKind> failureErrors,
        @JsonPropertyDescription("The longest one attempt may take before it fails with 504 and counts as a failure, e.g. 5s.")
        @Pattern(Durations.PATTERN)
        String timeout,
        @JsonPropertyDescription("Retries of failed calls, with exponential backoff and a budget.")
        @JsonIgnoreProperties({"minRetriesPerSecond", "maxBodyBytes"})
        RetryConfig retry) {

    public CircuitBreakerSpec {
        podSelector = podSelector == null ? LabelSelector.everything() : podSelector;
        failureRateThreshold = failureRateThreshold == null ? BreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD : failureRateThreshold;
        minimumNumberOfCalls = minimumNumberOfCalls == null ? BreakerConfig.DEFAULT_MINIMUM_NUMBER_OF_CALLS : minimumNumberOfCalls;
        slidingWindow = slidingWindow == null ? WindowConfig.defaults() : slidingWindow;
        waitDurationInOpenState = waitDurationInOpenState == null ? BreakerConfig.DEFAULT_WAIT_DURATION_IN_OPEN_STATE : waitDurationInOpenState;
        permittedCallsInHalfOpen = permittedCallsInHalfOpen == null ? BreakerConfig.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN : permittedCallsInHalfOpen;
        failureStatuses = failureStatuses == null ? BreakerConfig.DEFAULT_FAILURE_STATUSES : List.copyOf(failureStatuses);
        failureErrors = failureErrors == null ? List.of(FailureKind.values()) : List.copyOf(failureErrors);
    }

    /**
     * The sidecar document's entry for this breaker: the same fields, named after the resource, with
     * the target's type and route side by side as the document has them.
     */
    public BreakerConfig toBreakerConfig(String namespace, String name) {
        boolean outbound = target != null && target.type() == BreakerTargetType.Outbound;
        return new BreakerConfig(name, namespace, podSelector, outbound ? BreakerTargetType.Outbound : BreakerTargetType.Inbound,
                outbound ? target.route() : null, failureRateThreshold, slowCallRateThreshold, slowCallDuration, minimumNumberOfCalls,
                slidingWindow, waitDurationInOpenState, permittedCallsInHalfOpen, failureStatuses, failureErrors, timeout, retry);
    }
}
