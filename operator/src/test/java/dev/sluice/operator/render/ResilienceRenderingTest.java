package dev.sluice.operator.render;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.inboundBreaker;
import static dev.sluice.operator.Resources.outboundBreaker;
import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.AdaptiveAlgorithm;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.AdaptiveConcurrency;
import dev.sluice.api.v1alpha1.Backpressure;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.ConcurrencyLimit;
import dev.sluice.api.v1alpha1.LoadShedding;
import dev.sluice.api.v1alpha1.PriorityLevel;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RetryPolicy;
import dev.sluice.api.v1alpha1.SlidingWindow;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResilienceRenderingTest {
    private static final String NS = "shop";

    @Test
    void aBreakerRendersFieldForFieldWithTheResourceDefaults() {
        CircuitBreakerSpec spec = new CircuitBreakerSpec(null, BreakerTarget.inbound(), 40, 80, "2s", 20,
                new SlidingWindow(SlidingWindow.WindowType.Time, 60), "15s", 3, List.of(500, 503),
                List.of(CircuitBreakerSpec.FailureError.Timeout), "5s", new RetryPolicy(4, null, null, false, null, List.of("GET"), 10));

        BreakerConfig config = ResilienceRendering.toBreakerConfig(NS, "app", spec);

        assertThat(config.qualifiedName()).isEqualTo("shop/app");
        assertThat(config.target()).isEqualTo(BreakerTargetType.Inbound);
        assertThat(config.route()).isNull();
        assertThat(config.failureRateThreshold()).isEqualTo(40);
        assertThat(config.slowCallRateThreshold()).isEqualTo(80);
        assertThat(config.slowCallDuration()).isEqualTo("2s");
        assertThat(config.minimumNumberOfCalls()).isEqualTo(20);
        assertThat(config.slidingWindow()).isEqualTo(new WindowConfig(WindowConfig.WindowType.Time, 60));
        assertThat(config.waitDurationInOpenState()).isEqualTo("15s");
        assertThat(config.permittedCallsInHalfOpen()).isEqualTo(3);
        assertThat(config.failureStatuses()).containsExactly(500, 503);
        assertThat(config.failureErrors()).containsExactly(FailureKind.Timeout);
        assertThat(config.timeout()).isEqualTo("5s");
        assertThat(config.retry().maxAttempts()).isEqualTo(4);
        assertThat(config.retry().backoffBase()).isEqualTo("100ms");
        assertThat(config.retry().backoffMax()).isEqualTo("3200ms");
        assertThat(config.retry().jitter()).isFalse();
        assertThat(config.retry().methods()).containsExactly("GET");
        assertThat(config.retry().budgetPercent()).isEqualTo(10);
    }

    @Test
    void backpressureRendersFieldForField() {
        Backpressure backpressure = new Backpressure(new ConcurrencyLimit(50, 10, "250ms"),
                new LoadShedding("X-Priority", "normal", List.of(new PriorityLevel("critical", 100), new PriorityLevel("normal", 85))),
                new AdaptiveConcurrency(AdaptiveConcurrency.AdaptiveAlgorithm.Vegas, 5, 100, 20));

        BackpressureConfig config = ResilienceRendering.toBackpressureConfig(backpressure);

        assertThat(config.concurrency().maxConcurrent()).isEqualTo(50);
        assertThat(config.concurrency().queueSize()).isEqualTo(10);
        assertThat(config.concurrency().maxWait()).isEqualTo("250ms");
        assertThat(config.shedding().priorities()).extracting(p -> p.name() + "@" + p.shedAtUtilisation()).containsExactly("critical@100", "normal@85");
        assertThat(config.adaptive().algorithm()).isEqualTo(AdaptiveAlgorithm.Vegas);
        assertThat(config.adaptive().effectiveInitialLimit()).isEqualTo(20);
        assertThat(ResilienceRendering.toBackpressureConfig(null)).isNull();
    }

    @Test
    void theNamespaceDocumentCarriesPoliciesBackpressureAndBreakersAndValidates() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s"))
                .backpressure(new Backpressure(new ConcurrencyLimit(20, null, null), null, null)).build();
        CircuitBreaker inbound = breaker(NS, "inbound", inboundBreaker());
        CircuitBreaker payments = breaker(NS, "payments", outboundBreaker("payments", 15001));

        RenderedPolicies rendered = SidecarConfigRenderer.render(NS, List.of(api), List.of(payments, inbound), Optional.empty(), List.of());

        SidecarConfig document = rendered.document();
        assertThat(document.policies().get(0).backpressure().concurrency().maxConcurrent()).isEqualTo(20);
        assertThat(document.breakers()).extracting(BreakerConfig::name).containsExactly("inbound", "payments");
        assertThat(document.breakers().get(1).route().upstream()).isEqualTo("https://api.example.com/v1");
        assertThat(ConfigValidator.validate(document)).isEmpty();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(document))).isEqualTo(document);
    }

    @Test
    void anInvalidBreakerKeepsItsLastValidVersionAndConflictingOnesAreWithheld() throws Exception {
        CircuitBreaker valid = breaker(NS, "payments", outboundBreaker("payments", 15001));
        SidecarConfig previous = ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(
                SidecarConfigRenderer.render(NS, List.of(), List.of(valid), Optional.empty(), List.of()).document()));
        CircuitBreaker broken = breaker(NS, "payments", new CircuitBreakerSpec(null, BreakerTarget.inbound(), 0, null, null, null, null,
                null, null, null, null, null, null));
        CircuitBreaker samePort = breaker(NS, "refunds", outboundBreaker("refunds", 15001));
        CircuitBreaker firstOnPort = breaker(NS, "audit", outboundBreaker("audit", 15001));

        RenderedPolicies rendered = SidecarConfigRenderer.render(NS, List.of(), List.of(broken, samePort, firstOnPort), Optional.of(previous),
                List.of());

        assertThat(rendered.keptPreviousBreakers()).containsExactly("payments");
        assertThat(rendered.withheldBreakers()).as("refunds conflicts with audit; audit with the kept version of payments")
                .containsExactlyInAnyOrder("refunds", "audit");
        assertThat(rendered.document().breakers()).containsExactly(previous.breakers().get(0));
        assertThat(ConfigValidator.validate(rendered.document())).isEmpty();
    }
}
