package dev.sluice.operator.ratelimit;

import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.MovableClock;
import dev.sluice.operator.Pods;
import dev.sluice.operator.render.RenderedPolicies;
import dev.sluice.operator.render.Verdict;
import dev.sluice.operator.report.Enforcement;
import dev.sluice.operator.report.PodSnapshot;
import dev.sluice.operator.report.RuleRates;
import dev.sluice.operator.report.SidecarReport;
import dev.sluice.operator.status.Conditions;
import dev.sluice.operator.status.EventRecorder;
import dev.sluice.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Status writes stay bounded however often reports arrive: within one 10 s bucket the desired status of a policy whose
 * pods keep serving traffic is the written one, so the StatusWriter writes nothing; the next bucket writes once.
 */
class BoundedStatusWritesTest {
    private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");

    @Test
    void theSameBucketWritesNothingAndTheNextWritesOnce() throws Exception {
        RateLimitPolicy policy = policy("ns", "api").rule(rule("burst", 10, "1s")).build();
        Pod pod = Pods.pod("ns", "a").injected().ready(T0.minusSeconds(600)).build();
        MovableClock clock = new MovableClock(T0.plusSeconds(71));
        // No Event is recorded (Ready does not change), so the recorder needs no API server.
        StatusWriter writer = new StatusWriter(new EventRecorder(null, clock), clock);
        policy.setStatus(written(desired(policy, pod, T0.plusSeconds(71)), clock.instant()));

        for (int second = 72; second < 80; second += 2) {
            clock.advance(Duration.ofSeconds(2));
            assertThat(writer.write(policy, desired(policy, pod, clock.instant())).isNoUpdate())
                    .as("a new report at second %d of the bucket", second).isTrue();
        }
        clock.advance(Duration.ofSeconds(2));
        assertThat(writer.write(policy, desired(policy, pod, clock.instant())).isPatchStatus()).as("the next bucket").isTrue();
    }

    /**
     * The policy's status at {@code now}, with reports every 2 s until then whose counters grow faster and faster (the
     * square of the seconds, a twentieth rejected): every new report changes the rates, which only the bucket holds still.
     */
    private static ResourceStatus desired(RateLimitPolicy policy, Pod pod, Instant now) throws Exception {
        List<PodSnapshot.Sample> samples = new ArrayList<>();
        SidecarReport report = null;
        for (Instant at = T0; !at.isAfter(now); at = at.plusSeconds(2)) {
            long seconds = Duration.between(T0, at).toSeconds();
            SidecarReport.RuleCounters counters = new SidecarReport.RuleCounters("api", "burst", "Enforce", seconds * seconds, seconds * seconds / 20, 0, 0);
            report = new SidecarReport("0.1.0", 1, new SidecarReport.InForce(1L, 1, "watch", "uid", at.toString(),
                    List.of(new dev.sluice.api.config.RenderedResource("RateLimitPolicy", "api", 1L)), List.of()), null, List.of(counters),
                    List.of(), false);
            samples.add(new PodSnapshot.Sample(at, Map.of("api/burst", counters)));
        }
        PodSnapshot snapshot = new PodSnapshot("a", report, PodSnapshot.Reporting.ANSWERING, samples);
        Enforcement enforcement = Enforcement.fold(new Enforcement.Subject("RateLimitPolicy", "api", 1, 1, 1), List.of(pod),
                Map.of("a", snapshot), now, Duration.ofSeconds(2));
        RenderedPolicies rendered = new RenderedPolicies(ConfigLoader.parse("policies: []"), false, Map.of("api", Verdict.rendered()), Map.of());
        return RateLimitPolicyStatus.desired(policy, rendered, enforcement, RuleRates.of("api", List.of(snapshot), now));
    }

    private static ResourceStatus written(ResourceStatus status, Instant now) {
        return status.withConditions(Conditions.inheritTransitionTimes(status.conditions(), List.of(), now));
    }
}
