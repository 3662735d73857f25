package dev.sluice.operator.render.validation;

import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.config.LabelSelectorRequirement;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.MatchConfig;
import dev.sluice.api.config.PathMatch;
import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SelectorOperator;
import dev.sluice.api.config.SheddingConfig;
import dev.sluice.api.config.TierConfig;
import dev.sluice.api.config.TiersConfig;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import dev.sluice.operator.ratelimit.NotYetEnforced;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyValidationTest {

    @Test
    void aWellFormedPolicyHasNoErrors() {
        assertThat(PolicyValidation.validate(policy("ns", "api").rule(rule("global", 10, "1s")).build())).isEmpty();
    }

    @Test
    void reportsEachProblemWithTheFieldPath() {
        RuleConfig badRegex = new RuleConfig("search", new MatchConfig(PathMatch.regex("/api/(["), List.of(), List.of()),
                List.of(), null, null, null, List.of(LimitConfig.of(10, "10 minutes")), null, null, null);
        RuleConfig unknownTier = new RuleConfig("plans", null, List.of(), null, null, null, List.of(),
                new TiersConfig("X-Plan", "gold", List.of(new TierConfig("free", List.of(LimitConfig.of(5, "1s"))))), null, null);

        List<FieldError> errors = PolicyValidation.validate(policy("ns", "api").rule(badRegex).rule(unknownTier).build());

        assertThat(errors).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.rules[0].match.path.regex", "spec.rules[0].limits[0].period", "spec.rules[1].tiers.default");
        assertThat(errors.get(0).message()).contains("/api/([");
    }

    @Test
    void checksTheSelectorAndThatThereAreRules() {
        LabelSelector selector = new LabelSelector(null, List.of(new LabelSelectorRequirement("app", SelectorOperator.In, List.of())));
        RateLimitPolicy policy = policy("ns", "api").build();
        policy.setSpec(new RateLimitPolicySpec(selector, null, null, null, List.of(), null));

        assertThat(PolicyValidation.validate(policy)).extracting(FieldError::field)
                .containsExactlyInAnyOrder("spec.podSelector.matchExpressions[0].values", "spec.rules");
    }

    @Test
    void failureModeNeedsGlobalScope() {
        RateLimitPolicy policy = policy("ns", "api").build();
        policy.setSpec(new RateLimitPolicySpec(null, null, Scope.Local, dev.sluice.api.config.FailureMode.Closed,
                List.of(rule("global", 10, "1s")), null));

        assertThat(PolicyValidation.validate(policy)).extracting(FieldError::field).containsExactly("spec.failureMode");
    }

    @Test
    void checksBackpressure() {
        BackpressureConfig backpressure = new BackpressureConfig(new ConcurrencyConfig(10, 5, "1 minute"),
                new SheddingConfig("X-Priority", "urgent", List.of(new PriorityConfig("low", 70), new PriorityConfig("low", 90))), null);

        List<FieldError> errors = PolicyValidation.validate(
                policy("ns", "api").rule(rule("global", 10, "1s")).backpressure(backpressure).build());

        assertThat(errors).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.backpressure.concurrency.maxWait",
                "spec.backpressure.shedding.priorities[1].name",
                "spec.backpressure.shedding.defaultPriority");
    }

    @Test
    void listsWhatIsAcceptedButNotYetEnforced() {
        BackpressureConfig backpressure = new BackpressureConfig(new ConcurrencyConfig(10, null, null), null, null);
        RateLimitPolicy policy = policy("ns", "api").rule(rule("global", 10, "1s")).scope(Scope.Global).backpressure(backpressure).build();

        assertThat(PolicyValidation.validate(policy)).isEmpty();
        assertThat(NotYetEnforced.of(policy.getSpec(), false))
                .anySatisfy(field -> assertThat(field).startsWith("spec.scope: Global needs a Redis"))
                .noneSatisfy(field -> assertThat(field).startsWith("spec.backpressure"));
        assertThat(NotYetEnforced.of(policy.getSpec(), true)).isEmpty();
    }
}
