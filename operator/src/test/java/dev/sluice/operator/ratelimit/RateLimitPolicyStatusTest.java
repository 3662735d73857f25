package dev.sluice.operator.ratelimit;

import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.Scope;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.render.Verdict;
import dev.sluice.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.RuleRate;
import dev.sluice.operator.Pods;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.report.PodSnapshot;
import dev.sluice.operator.report.RuleRates;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RateLimitPolicyStatusTest {
    private static final String RESTART_WARNING = "spec.rules[0].limits[0].period: 1h with scope Local is counted in each pod's memory:"
            + " a restart or rollout of the pod starts it afresh, with a full quota for every client;"
            + " use scope: Global to keep it in Redis across restarts";

    @Test
    void aLocalLimitOfAnHourOrMoreIsReportedWithTheWayToKeepIt() throws Exception {
        RateLimitPolicy policy = policy("ns", "api").rule(rule("hourly", 1000, "1h")).rule(rule("burst", 10, "1s")).build();

        ResourceStatus status = RateLimitPolicyStatus.desired(policy, rendered(), 2);

        assertThat(status.warnings()).containsExactly(RESTART_WARNING);
        assertThat(status.notYetEnforced()).isEmpty();
        assertThat(ready(status).getStatus()).isEqualTo("True");
        assertThat(ready(status).getReason()).as("the limit is enforced as written").isEqualTo(Conditions.REASON_RENDERED);
    }

    @Test
    void shorterLocalLimitsAndGlobalOnesAreNot() throws Exception {
        RateLimitPolicy local = policy("ns", "api").rule(rule("minute", 100, "59m")).build();
        RateLimitPolicy global = policy("ns", "api").rule(rule("daily", 1000, "1d")).scope(Scope.Global).build();

        assertThat(RateLimitPolicyStatus.desired(local, rendered(), 2).warnings()).isEmpty();
        assertThat(RateLimitPolicyStatus.desired(global, rendered(), 2).warnings()).isEmpty();
        assertThat(ready(RateLimitPolicyStatus.desired(local, rendered(), 2)).getReason()).isEqualTo(Conditions.REASON_RENDERED);
    }

    @Test
    void withReportsReadyFollowsThePodsAndAnInvalidSpecStaysInvalid() throws Exception {
        RateLimitPolicy policy = policy("ns", "api").rule(rule("burst", 10, "1s")).build();
        Enforcement propagating = Enforcement.fold(new Enforcement.Subject("RateLimitPolicy", "api", 1, 1, 1),
                List.of(Pods.pod("ns", "a").injected().ready(Instant.EPOCH).build()),
                Map.of("a", new PodSnapshot("a", null, PodSnapshot.Reporting.SILENT, List.of())), Instant.EPOCH.plusSeconds(600),
                Duration.ofSeconds(2));
        RuleRates rates = new RuleRates(List.of(new RuleRate("burst", 600L, 60L, 0L)), Optional.of("9%"));

        ResourceStatus status = RateLimitPolicyStatus.desired(policy, rendered(), propagating, rates);

        assertThat(ready(status).getStatus()).isEqualTo("False");
        assertThat(ready(status).getReason()).isEqualTo("Propagating");
        assertThat(status.conditions()).extracting(Condition::getType).containsExactly(Conditions.READY, Conditions.ACCEPTED);
        assertThat(status.enforcing()).isEqualTo("0/1");
        assertThat(status.stalePodNames()).containsExactly("a");
        assertThat(status.rejectRate()).isEqualTo("9%");
        assertThat(status.rules()).containsExactly(new RuleRate("burst", 600L, 60L, 0L));

        RenderedPolicies invalid = new RenderedPolicies(rendered().document(), false,
                Map.of("api", Verdict.keptPrevious(List.of(new FieldError("spec.rules[0].limits[0].period", "not a duration")))), Map.of());
        ResourceStatus invalidStatus = RateLimitPolicyStatus.desired(policy, invalid, propagating, rates);
        assertThat(ready(invalidStatus).getReason()).isEqualTo(Conditions.REASON_INVALID_SPEC);
        assertThat(invalidStatus.enforcing()).as("what the pods enforce is still shown").isEqualTo("0/1");
    }

    private static RenderedPolicies rendered() throws Exception {
        return new RenderedPolicies(ConfigLoader.parse("redis: {addresses: ['redis:6379']}\npolicies: []"), false,
                Map.of("api", Verdict.rendered()), Map.of());
    }

    private static Condition ready(ResourceStatus status) {
        return status.conditions().stream().filter(c -> c.getType().equals(Conditions.READY)).findFirst().orElseThrow();
    }
}
