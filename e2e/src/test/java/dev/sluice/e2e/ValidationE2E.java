package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid resources, each refused by {@code kubectl apply} against the real API server (OpenAPI schema,
 * CEL rules, strict field validation) with a message that names the offending field.
 */
@ExtendWith(ClusterExtension.class)
class ValidationE2E {
    private static final String ONE_RULE = "  rules: [{name: r, limits: [{requests: 5, period: 1s}]}]\n";

    static TestCluster cluster;
    static String namespace;

    @BeforeAll
    static void setUp(TestCluster testCluster) {
        cluster = testCluster;
        namespace = cluster.createNamespace("validation");
    }

    static Stream<Arguments> invalidResources() {
        return Stream.of(
                // RateLimitPolicy: enums
                refused("mode is not an enum value", rlp("  mode: Sometimes\n" + ONE_RULE),
                        "spec.mode", "supported values: \"Enforce\", \"Shadow\""),
                refused("scope is not an enum value", rlp("  scope: Cluster\n" + ONE_RULE),
                        "spec.scope", "supported values: \"Global\", \"Local\""),
                refused("algorithm is not an enum value", rlp("  rules: [{name: r, algorithm: LeakyBucket, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].algorithm", "Unsupported value: \"LeakyBucket\""),
                refused("key type is not an enum value", rlp("  rules: [{name: r, key: [{type: Cookie}], limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].key[0].type", "Unsupported value: \"Cookie\""),
                refused("missingKey is not an enum value", rlp("  rules: [{name: r, missingKey: Maybe, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].missingKey", "supported values: \"Shared\", \"Skip\""),
                // RateLimitPolicy: numbers and formats
                refused("zero requests", rlp("  rules: [{name: r, limits: [{requests: 0, period: 1s}]}]\n"),
                        "spec.rules[0].limits[0].requests", "should be greater than or equal to 1"),
                refused("negative requests", rlp("  rules: [{name: r, limits: [{requests: -5, period: 1s}]}]\n"),
                        "spec.rules[0].limits[0].requests", "Invalid value: -5"),
                refused("zero burst", rlp("  rules: [{name: r, limits: [{requests: 5, period: 1s, burst: 0}]}]\n"),
                        "spec.rules[0].limits[0].burst", "should be greater than or equal to 1"),
                refused("zero cost", rlp("  rules: [{name: r, cost: 0, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].cost", "should be greater than or equal to 1"),
                refused("period in words", rlp("  rules: [{name: r, limits: [{requests: 5, period: 10 seconds}]}]\n"),
                        "spec.rules[0].limits[0].period", "should match"),
                refused("path segment beyond 63", rlp("  rules: [{name: r, key: [{type: PathSegment, segment: 64}], limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].key[0].segment", "less than or equal to 63"),
                refused("rule name not DNS-like", rlp("  rules: [{name: Bad_Name, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].name", "Invalid value: \"Bad_Name\""),
                refused("path prefix without a leading slash", rlp("  rules: [{name: r, match: {path: {prefix: api}}, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].match.path.prefix", "should match '^/'"),
                // RateLimitPolicy: required fields
                refused("no rules", rlp("  mode: Enforce\n"), "spec.rules", "Required value"),
                refused("rule without a name", rlp("  rules: [{limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].name", "Required value"),
                unknownField("misspelt field", rlp("  rules: [{name: r, limts: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].limts"),
                // RateLimitPolicy: CEL rules across fields
                refused("limits and tiers together", rlp("""
                          rules: [{name: r, limits: [{requests: 5, period: 1s}],
                                   tiers: {header: X-Plan, default: free, values: [{name: free, limits: [{requests: 1, period: 1s}]}]}}]
                        """), "spec.rules[0]", "must have exactly one of limits or tiers"),
                refused("neither limits nor tiers", rlp("  rules: [{name: r}]\n"),
                        "spec.rules[0]", "must have exactly one of limits or tiers"),
                refused("burst with a sliding window", rlp("  rules: [{name: r, algorithm: SlidingWindow, limits: [{requests: 5, period: 1s, burst: 10}]}]\n"),
                        "spec.rules[0]", "burst applies only to the TokenBucket algorithm"),
                refused("time zone without a fixed window", rlp("  rules: [{name: r, timeZone: Europe/Paris, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].timeZone", "timeZone applies only to the FixedWindow algorithm"),
                refused("default tier not among the tiers", rlp("""
                          rules: [{name: r, tiers: {header: X-Plan, default: gold, values: [{name: free, limits: [{requests: 1, period: 1s}]}]}}]
                        """), "spec.rules[0].tiers.default", "default must name one of the tiers"),
                refused("Header key without a header", rlp("  rules: [{name: r, key: [{type: Header}], limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].key[0].header", "header is required for type Header"),
                refused("ClientIP key with a header", rlp("  rules: [{name: r, key: [{type: ClientIP, header: X-A}], limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].key[0].header", "applies to no other type"),
                refused("path with exact and prefix", rlp("  rules: [{name: r, match: {path: {exact: /a, prefix: /b}}, limits: [{requests: 5, period: 1s}]}]\n"),
                        "spec.rules[0].match.path", "must have exactly one of exact, prefix or regex"),
                refused("failureMode with a Local scope", rlp("  failureMode: Closed\n" + ONE_RULE),
                        "spec.failureMode", "failureMode applies only to scope Global"),
                refused("Exists selector with values", rlp("  podSelector: {matchExpressions: [{key: app, operator: Exists, values: [a]}]}\n" + ONE_RULE),
                        "spec.podSelector.matchExpressions[0].values", "empty for Exists"),
                refused("adaptive minLimit above maxLimit", rlp("  backpressure: {adaptive: {minLimit: 50, maxLimit: 10}}\n" + ONE_RULE),
                        "spec.backpressure.adaptive.minLimit", "minLimit must not be above maxLimit"),
                refused("shedding without a concurrency limit", rlp("""
                          backpressure: {shedding: {priorityHeader: X-P, defaultPriority: low, priorities: [{name: low, shedAtUtilisation: 80}]}}
                        """ + ONE_RULE), "spec.backpressure", "needs concurrency or adaptive"),
                refused("a queue wait the sidecar refuses", rlp("  backpressure: {concurrency: {maxConcurrent: 10, maxWait: 11m}}\n" + ONE_RULE),
                        "spec.backpressure.concurrency.maxWait", "maxWait must be at most 10m"),
                refused("more in flight than the sidecar allows", rlp("  backpressure: {concurrency: {maxConcurrent: 2000000}}\n" + ONE_RULE),
                        "spec.backpressure.concurrency.maxConcurrent", "less than or equal to 1000000"),
                // CircuitBreaker
                refused("no target", cb("  failureRateThreshold: 50\n"), "spec.target", "Required value"),
                refused("target type is not an enum value", cb("  target: {type: Sideways}\n"),
                        "spec.target.type", "supported values: \"Inbound\", \"Outbound\""),
                refused("zero failure rate", cb("  target: {type: Inbound}\n  failureRateThreshold: 0\n"),
                        "spec.failureRateThreshold", "greater than or equal to 1"),
                refused("failure rate above 100 percent", cb("  target: {type: Inbound}\n  failureRateThreshold: 101\n"),
                        "spec.failureRateThreshold", "less than or equal to 100"),
                refused("Outbound target without a route", cb("  target: {type: Outbound}\n"),
                        "spec.target.route", "route is required for an Outbound target"),
                refused("slow-call threshold without a duration", cb("  target: {type: Inbound}\n  slowCallRateThreshold: 80\n"),
                        "spec.slowCallDuration", "slowCallRateThreshold and slowCallDuration go together"),
                refused("time window longer than an hour", cb("  target: {type: Inbound}\n  slidingWindow: {type: Time, size: 7200}\n"),
                        "spec.slidingWindow.size", "a Time window is at most 3600 seconds"),
                refused("backoff base above backoff max", cb("  target: {type: Inbound}\n  retry: {backoffBase: 5s, backoffMax: 1s}\n"),
                        "spec.retry.backoffBase", "backoffBase must not be longer than backoffMax"),
                refused("a single retry attempt", cb("  target: {type: Inbound}\n  retry: {maxAttempts: 1}\n"),
                        "spec.retry.maxAttempts", "greater than or equal to 2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidResources")
    void kubectlApplyRefusesNamingTheField(String description, String resource, String namedField, String message) {
        Kubectl.Result apply = cluster.kubectl().runWithInput(resource, "apply", "-n", namespace, "-f", "-");

        assertThat(apply.exitCode()).as(apply.toString()).isNotZero();
        assertThat(apply.stderr()).as(apply.toString()).contains(namedField).contains(message);
        assertThat(cluster.kubectl().run("get", "rlp,cb", "-n", namespace, "-o", "name").orThrow().stdout()).isEmpty();
    }

    /** The API server reports a schema or CEL error as {@code <field path>: <what is wrong>}. */
    private static Arguments refused(String description, String resource, String field, String message) {
        return Arguments.of(description, resource, field + ": ", message);
    }

    /** kubectl's strict field validation refuses a field the schema does not know. */
    private static Arguments unknownField(String description, String resource, String field) {
        return Arguments.of(description, resource, "unknown field \"" + field + "\"", "strict decoding error");
    }

    private static String rlp(String spec) {
        return resource("RateLimitPolicy", spec);
    }

    private static String cb(String spec) {
        return resource("CircuitBreaker", spec);
    }

    private static String resource(String kind, String spec) {
        return "apiVersion: sluice.dev/v1alpha1\nkind: " + kind + "\nmetadata:\n  name: invalid\nspec:\n" + spec;
    }
}
