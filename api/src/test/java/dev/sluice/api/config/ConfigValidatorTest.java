package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ConfigValidatorTest {

    private static final String BASE = """
            policies:
              - name: api
                podSelector:
                  matchLabels: {app: web}
                rules:
                  - name: per-client
                    match:
                      path: {prefix: /api}
                    key: [{type: ClientIP}]
                    limits:
                      - {requests: 10, period: 1s}
            """;

    @Test
    void baseIsValid() throws Exception {
        assertThat(ConfigValidator.validate(ConfigLoader.parseUnvalidated(BASE))).isEmpty();
    }

    static Stream<Arguments> invalidDocuments() {
        return Stream.of(
                invalid("zero requests", s -> s.replace("requests: 10", "requests: 0"),
                        "policies[0].rules[0].limits[0].requests", "must be at least 1, got 0"),
                invalid("period without unit", s -> s.replace("period: 1s", "period: 10"),
                        "policies[0].rules[0].limits[0].period", "'10' is not a period"),
                invalid("zero period", s -> s.replace("period: 1s", "period: 0s"),
                        "policies[0].rules[0].limits[0].period", "must be longer than zero"),
                invalid("months with token bucket", s -> s.replace("period: 1s", "period: 1mo"),
                        "policies[0].rules[0].limits[0].period", "only the FixedWindow algorithm"),
                invalid("burst with sliding window", s -> s.replace("{requests: 10, period: 1s}", "{requests: 10, period: 1s, burst: 5}")
                                .replace("key: [{type: ClientIP}]", "key: [{type: ClientIP}]\n        algorithm: SlidingWindow"),
                        "policies[0].rules[0].limits[0].burst", "applies only to the TokenBucket algorithm"),
                invalid("cost above capacity", s -> s.replace("key: [{type: ClientIP}]", "key: [{type: ClientIP}]\n        cost: 11"),
                        "policies[0].rules[0].limits[0]", "no request could ever pass"),
                invalid("bad regex", s -> s.replace("{prefix: /api}", "{regex: '/api/(['}"),
                        "policies[0].rules[0].match.path.regex", "not a valid regular expression"),
                invalid("two path kinds", s -> s.replace("{prefix: /api}", "{prefix: /api, exact: /api}"),
                        "policies[0].rules[0].match.path", "exactly one of exact, prefix or regex"),
                invalid("prefix without slash", s -> s.replace("{prefix: /api}", "{prefix: api}"),
                        "policies[0].rules[0].match.path.prefix", "must start with /"),
                invalid("lower-case method", s -> s.replace("path: {prefix: /api}", "path: {prefix: /api}\n          methods: [get]"),
                        "policies[0].rules[0].match.methods[0]", "upper case"),
                invalid("header key without header", s -> s.replace("{type: ClientIP}", "{type: Header}"),
                        "policies[0].rules[0].key[0].header", "is required for type Header"),
                invalid("segment on client IP", s -> s.replace("{type: ClientIP}", "{type: ClientIP, segment: 2}"),
                        "policies[0].rules[0].key[0].segment", "applies only to type PathSegment"),
                invalid("duplicate rule", s -> s + """
                                  - name: per-client
                                    limits: [{requests: 1, period: 1s}]
                            """,
                        "policies[0].rules[1].name", "used by more than one rule"),
                invalid("upper-case name", s -> s.replace("name: api", "name: API"),
                        "policies[0].name", "lower-case"),
                invalid("no limits", s -> s.replace("limits:\n          - {requests: 10, period: 1s}", "limits: []"),
                        "policies[0].rules[0].limits", "at least one limit"),
                invalid("selector without values", s -> s.replace("matchLabels: {app: web}", "matchExpressions: [{key: app, operator: In}]"),
                        "policies[0].podSelector.matchExpressions[0].values", "must not be empty for operator In"),
                invalid("bad trusted proxy", s -> "trustedProxies: [10.0.0.0/33]\n" + s,
                        "trustedProxies[0]", "prefix length outside 0..32"),
                invalid("bad time zone", s -> s.replace("key: [{type: ClientIP}]", "key: [{type: ClientIP}]\n        algorithm: FixedWindow\n        timeZone: Mars/Olympus"),
                        "policies[0].rules[0].timeZone", "not a time zone"),
                invalid("tier default missing", s -> s.replace("limits:\n          - {requests: 10, period: 1s}", """
                                tiers:
                                          header: X-Plan
                                          default: gold
                                          values:
                                            - {name: free, limits: [{requests: 1, period: 1s}]}""".replace("\n", "\n")),
                        "policies[0].rules[0].tiers.default", "'gold' is not one of the tiers [free]"),
                invalid("limits and tiers", s -> s.replace("limits:\n          - {requests: 10, period: 1s}", """
                                limits: [{requests: 1, period: 1s}]
                                        tiers:
                                          header: X-Plan
                                          default: free
                                          values:
                                            - {name: free, limits: [{requests: 1, period: 1s}]}"""),
                        "policies[0].rules[0].limits", "must be empty when tiers are set"),
                invalid("idle timeout in months", s -> "keys: {idleTimeout: 1mo}\n" + s,
                        "keys.idleTimeout", "must be a fixed duration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidDocuments")
    void refusesWithTheFieldNamed(String description, String document, String field, String message) throws Exception {
        List<FieldError> errors = ConfigValidator.validate(ConfigLoader.parseUnvalidated(document));

        assertThat(errors).as(description).anySatisfy(error -> {
            assertThat(error.field()).isEqualTo(field);
            assertThat(error.message()).contains(message);
        });
    }

    @Test
    void warnsOfLocalLimitsOfAnHourOrLongerOnly() throws Exception {
        PolicyConfig policy = ConfigLoader.parseUnvalidated(BASE.replace("- {requests: 10, period: 1s}", """
                - {requests: 10, period: 59m}
                          - {requests: 10, period: 60m}
                          - {requests: 10, period: 1d}
                          - {requests: 10, period: 1mo}""")).policies().get(0);

        assertThat(ConfigValidator.warnings(policy.scope(), policy.rules(), "rules")).extracting(FieldError::field)
                .containsExactly("rules[0].limits[1].period", "rules[0].limits[2].period", "rules[0].limits[3].period");
        assertThat(ConfigValidator.warnings(policy.scope(), policy.rules(), "rules").get(0).message())
                .startsWith("60m with scope Local is counted in each pod's memory").contains("use scope: Global");
        assertThat(ConfigValidator.warnings(Scope.Global, policy.rules(), "rules")).isEmpty();
    }

    private static Arguments invalid(String description, UnaryOperator<String> edit, String field, String message) {
        return Arguments.of(description, edit.apply(BASE), field, message);
    }
}
