package dev.sluice.sidecar.limit;

import static dev.sluice.sidecar.match.FixedRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.match.RequestView;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Decision decision = new Decision();

    private static final String MULTI_LEVEL = """
            policies:
              - name: api
                rules:
                  - name: global
                    limits: [{requests: 5, period: 1h}]
                  - name: per-client
                    key: [{type: ClientIP}]
                    limits: [{requests: 2, period: 1h}]
            """;

    @Test
    void everyMatchingRuleMustAllowAndARefusalCostsNothing() throws Exception {
        RateLimiter limiter = compile(MULTI_LEVEL, null);

        assertThat(passes(limiter, get("/").from("192.0.2.1"), 5)).isEqualTo(2);
        // The three refusals by per-client gave back what global had taken: 3 of global's 5 are left.
        assertThat(passes(limiter, get("/").from("192.0.2.2"), 1)).isEqualTo(1);
        assertThat(passes(limiter, get("/").from("192.0.2.3"), 2)).isEqualTo(2);
        assertThat(limiter.decide(get("/").from("192.0.2.4"), decision)).isFalse();
        assertThat(decision.rejectedBy().rule()).isEqualTo("global");
    }

    @Test
    void shadowPoliciesCountButNeverRefuse() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: trial
                    mode: Shadow
                    rules:
                      - name: strict
                        limits: [{requests: 1, period: 1h}]
                """, null);

        assertThat(passes(limiter, get("/"), 4)).isEqualTo(4);
        assertThat(registry.get("rate_limit_shadow_rejected").counter().count()).isEqualTo(3);
        assertThat(decision.reportedCount()).isZero();
    }

    @Test
    void tiersByHeaderWithADefault() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: plans
                    rules:
                      - name: by-plan
                        key: [{type: Header, header: X-Api-Key}]
                        tiers:
                          header: X-Plan
                          default: free
                          values:
                            - {name: free, limits: [{requests: 1, period: 1h}]}
                            - {name: premium, limits: [{requests: 3, period: 1h}]}
                """, null);

        assertThat(passes(limiter, get("/").header("X-Api-Key", "a").header("X-Plan", "premium"), 5)).isEqualTo(3);
        assertThat(passes(limiter, get("/").header("X-Api-Key", "b").header("X-Plan", "free"), 5)).isEqualTo(1);
        assertThat(passes(limiter, get("/").header("X-Api-Key", "c").header("X-Plan", "platinum"), 5)).isEqualTo(1);
        assertThat(passes(limiter, get("/").header("X-Api-Key", "d"), 5)).isEqualTo(1);
        // Each tier counts apart: key "a" still has its free-tier quota.
        assertThat(passes(limiter, get("/").header("X-Api-Key", "a"), 5)).isEqualTo(1);
    }

    @Test
    void missingKeyIsSharedOrSkipped() throws Exception {
        String rules = """
                policies:
                  - name: keys
                    rules:
                      - name: by-key
                        key: [{type: Header, header: X-Api-Key}]
                        missingKey: %s
                        limits: [{requests: 2, period: 1h}]
                """;
        RateLimiter shared = compile(rules.formatted("Shared"), null);
        assertThat(passes(shared, get("/").from("192.0.2.1"), 2) + passes(shared, get("/").from("192.0.2.2"), 2)).isEqualTo(2);

        RateLimiter skipped = compile(rules.formatted("Skip").replace("name: keys", "name: keys2"), null);
        assertThat(passes(skipped, get("/"), 10)).isEqualTo(10);
    }

    @Test
    void costTakesSeveralTokens() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: exports
                    rules:
                      - name: heavy
                        cost: 4
                        limits: [{requests: 10, period: 1h}]
                """, null);

        assertThat(passes(limiter, get("/"), 5)).isEqualTo(2);
    }

    @Test
    void podSelectorChoosesThePolicies() throws Exception {
        String config = """
                policies:
                  - name: web
                    podSelector: {matchLabels: {app: web}}
                    rules: [{name: all, limits: [{requests: 1, period: 1h}]}]
                  - name: batch
                    podSelector: {matchLabels: {app: batch}}
                    rules: [{name: all, limits: [{requests: 1, period: 1h}]}]
                """;

        assertThat(compile(config, Map.of("app", "web")).appliedPolicies()).containsExactly("web");
        assertThat(compile(config, null).appliedPolicies()).containsExactly("web", "batch");
        assertThat(compile(config, Map.of("app", "other")).rules()).isEmpty();
    }

    @Test
    void recompilingKeepsTheCountersOfUnchangedRules() throws Exception {
        String twoRules = """
                policies:
                  - name: api
                    rules:
                      - name: kept
                        limits: [{requests: 3, period: 1h}]
                      - name: edited
                        match: {path: {prefix: /edited}}
                        limits: [{requests: %d, period: 1h}]
                """;
        RateLimiter first = compile(twoRules.formatted(3), null);
        passes(first, get("/edited"), 2);

        RateLimiter second = RateLimiter.compile(ConfigLoader.parse(twoRules.formatted(5)), null, first, registry, clock);
        second.putInForce(first);

        // "kept" had 1 of 3 left and keeps it; "edited" starts afresh with its new limit.
        assertThat(passes(second, get("/edited"), 5)).isEqualTo(1);
        assertThat(registry.find("rate_limit_keys").tag("rule", "edited").gauge().value()).isEqualTo(1);
    }

    @Test
    void aDiscardedCompilationLeavesTheMetersOfTheLimitsInForce() throws Exception {
        String rules = """
                policies:
                  - name: api
                    rules:
                      - name: edited
                        limits: [{requests: %d, period: 1h}]
                %s""";
        RateLimiter inForce = compile(rules.formatted(3, ""), null);
        inForce.putInForce(RateLimiter.empty(clock));
        passes(inForce, get("/"), 1);

        RateLimiter refused = RateLimiter.compile(ConfigLoader.parse(rules.formatted(5,
                "      - name: added\n        limits: [{requests: 1, period: 1s}]\n")), null, inForce, registry, clock);
        refused.discard(inForce);

        assertThat(registry.find("rate_limit_keys").tag("rule", "edited").gauge().value()).isEqualTo(1);
        assertThat(registry.find("rate_limit_requests").tag("rule", "edited").counter().count()).isEqualTo(1);
        assertThat(registry.find("rate_limit_requests").tag("rule", "added").counter()).isNull();
        assertThat(registry.find("rate_limit_keys").tag("rule", "added").gauge()).isNull();
    }

    @Test
    void retryAfterComesFromTheRefusingLimit() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: api
                    rules:
                      - name: slow
                        limits: [{requests: 1, period: 10s}]
                """, null);
        passes(limiter, get("/"), 1);

        assertThat(limiter.decide(get("/"), decision)).isFalse();
        assertThat(decision.retryAfterNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(decision.rejectedLimit().name()).isEqualTo("slow-10s");
    }

    @Test
    void warnsOfLocalLimitsOfAnHourOrMoreWhichARestartStartsAfresh() throws Exception {
        RateLimiter limiter = compile("""
                policies:
                  - name: api
                    rules:
                      - name: per-client
                        limits: [{requests: 10, period: 1s}, {requests: 1000, period: 1h}]
                      - name: plans
                        algorithm: FixedWindow
                        tiers:
                          header: X-Plan
                          default: free
                          values:
                            - {name: free, limits: [{requests: 100, period: 1d}]}
                            - {name: paid, limits: [{requests: 100, period: 1m}]}
                  - name: shared
                    scope: Global
                    rules:
                      - name: daily
                        limits: [{requests: 1000, period: 1d}]
                """, null);

        String consequence = " with scope Local is counted in each pod's memory: a restart or rollout of the pod starts it afresh,"
                + " with a full quota for every client; use scope: Global to keep it in Redis across restarts";
        assertThat(limiter.warnings()).filteredOn(warning -> warning.contains("restart")).containsExactly(
                "policy api: rules[0].limits[1].period: 1h" + consequence,
                "policy api: rules[1].tiers.values[0].limits[0].period: 1d" + consequence);
    }

    private RateLimiter compile(String yaml, Map<String, String> labels) throws Exception {
        SidecarConfig config = ConfigLoader.parse(yaml);
        return RateLimiter.compile(config, labels, RateLimiter.empty(clock), registry, clock);
    }

    private int passes(RateLimiter limiter, RequestView request, int attempts) {
        int passed = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.decide(request, decision)) {
                passed++;
            }
        }
        return passed;
    }
}
