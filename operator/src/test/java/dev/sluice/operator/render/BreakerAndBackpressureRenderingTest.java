package dev.sluice.operator.render;

import static dev.sluice.operator.Resources.breaker;
import static dev.sluice.operator.Resources.breakerSpec;
import static dev.sluice.operator.Resources.inboundBreaker;
import static dev.sluice.operator.Resources.outboundBreaker;
import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.AdaptiveAlgorithm;
import dev.sluice.api.config.AdaptiveConfig;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.SheddingConfig;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.operator.Retries;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A breaker and a policy's backpressure reach the namespace document field for field (the resource is made of the document's records). */
class BreakerAndBackpressureRenderingTest {
    private static final String NS = "shop";

    @Test
    void aBreakerRendersFieldForFieldWithTheResourceDefaults() {
        CircuitBreakerSpec spec = breakerSpec(BreakerConfig.builder().failureRateThreshold(40).slowCallRateThreshold(80).slowCallDuration("2s")
                .minimumNumberOfCalls(20).slidingWindow(new WindowConfig(WindowConfig.WindowType.Time, 60)).waitDurationInOpenState("15s")
                .permittedCallsInHalfOpen(3).failureStatuses(List.of(500, 503)).failureErrors(List.of(FailureKind.Timeout)).timeout("5s")
                .retry(Retries.of().maxAttempts(4).jitter(false).methods("GET").grpcRetryOn(GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED)
                        .budgetPercent(10).build()).build());

        BreakerConfig config = spec.toBreakerConfig(NS, "app");

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
        assertThat(config.retry().grpcRetryOn()).containsExactly(GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED);
    }

    @Test
    void backpressureRendersFieldForField() {
        BackpressureConfig backpressure = new BackpressureConfig(new ConcurrencyConfig(50, 10, "250ms", true),
                new SheddingConfig("X-Priority", "normal", List.of(new PriorityConfig("critical", 100), new PriorityConfig("normal", 85))),
                new AdaptiveConfig(AdaptiveAlgorithm.Vegas, 5, 100, 20));

        BackpressureConfig config = SidecarConfigRenderer.toPolicyConfig(NS, "api",
                policy(NS, "api").rule(rule("global", 100, "1s")).backpressure(backpressure).build().getSpec(), 1).backpressure();

        assertThat(config.concurrency().maxConcurrent()).isEqualTo(50);
        assertThat(config.concurrency().queueSize()).isEqualTo(10);
        assertThat(config.concurrency().maxWait()).isEqualTo("250ms");
        assertThat(config.concurrency().countsUpgradedConnections()).isTrue();
        assertThat(config.shedding().priorities()).extracting(p -> p.name() + "@" + p.shedAtUtilisation()).containsExactly("critical@100", "normal@85");
        assertThat(config.adaptive().algorithm()).isEqualTo(AdaptiveAlgorithm.Vegas);
        assertThat(config.adaptive().effectiveInitialLimit()).isEqualTo(20);
        assertThat(SidecarConfigRenderer.toPolicyConfig(NS, "api", policy(NS, "api").rule(rule("global", 100, "1s")).build().getSpec(), 1)
                .backpressure()).isNull();
    }

    @Test
    void theNamespaceDocumentCarriesPoliciesBackpressureAndBreakersAndValidates() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s"))
                .backpressure(new BackpressureConfig(new ConcurrencyConfig(20, null, null), null, null)).build();
        CircuitBreaker inbound = breaker(NS, "inbound", inboundBreaker());
        CircuitBreaker payments = breaker(NS, "payments", outboundBreaker("payments", 15001));

        RenderedPolicies rendered = Renderings.render(NS, List.of(api), List.of(payments, inbound), Optional.empty(), List.of());

        SidecarConfig document = rendered.document();
        assertThat(document.policies().get(0).backpressure().concurrency().maxConcurrent()).isEqualTo(20);
        assertThat(document.breakers()).extracting(BreakerConfig::name).containsExactly("inbound", "payments");
        assertThat(document.breakers().get(1).route().upstream()).isEqualTo("https://api.example.com/v1");
        assertThat(ConfigValidator.validate(document)).isEmpty();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(document))).isEqualTo(document);
        assertThat(ConfigLoader.toYaml(document)).as("off, the default: not written").doesNotContain("countUpgradedConnections");
    }

    @Test
    void countingUpgradedConnectionsReachesTheDocument() throws Exception {
        RateLimitPolicy sockets = policy(NS, "sockets").rule(rule("global", 100, "1s"))
                .backpressure(new BackpressureConfig(new ConcurrencyConfig(2, 0, "100ms", true), null, null)).build();

        SidecarConfig document = Renderings.render(NS, List.of(sockets), List.of(), Optional.empty(), List.of()).document();

        assertThat(document.policies().get(0).backpressure().concurrency().countsUpgradedConnections()).isTrue();
        assertThat(ConfigLoader.toYaml(document)).contains("countUpgradedConnections: true");
        assertThat(ConfigValidator.validate(document)).isEmpty();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(document))).isEqualTo(document);
    }

    @Test
    void anInvalidBreakerKeepsItsLastValidVersionAndConflictingOnesAreWithheld() throws Exception {
        CircuitBreaker valid = breaker(NS, "payments", outboundBreaker("payments", 15001));
        SidecarConfig previous = ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(
                Renderings.render(NS, List.of(), List.of(valid), Optional.empty(), List.of()).document()));
        CircuitBreaker broken = breaker(NS, "payments", breakerSpec(BreakerConfig.builder().failureRateThreshold(0).build()));
        CircuitBreaker samePort = breaker(NS, "refunds", outboundBreaker("refunds", 15001));
        CircuitBreaker firstOnPort = breaker(NS, "audit", outboundBreaker("audit", 15001));

        RenderedPolicies rendered = Renderings.render(NS, List.of(), List.of(broken, samePort, firstOnPort), Optional.of(previous),
                List.of());

        assertThat(rendered.keptPreviousBreakers()).containsExactly("payments");
        assertThat(rendered.withheldBreakers()).as("refunds conflicts with audit; audit with the kept version of payments")
                .containsExactlyInAnyOrder("refunds", "audit");
        assertThat(rendered.document().breakers()).containsExactly(previous.breakers().get(0));
        assertThat(ConfigValidator.validate(rendered.document())).isEmpty();
    }
}
