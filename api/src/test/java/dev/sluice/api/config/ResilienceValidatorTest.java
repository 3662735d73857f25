package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResilienceValidatorTest {
    private static List<String> fields(String yaml) throws InvalidConfigException {
        return ConfigValidator.validate(ConfigLoader.parseUnvalidated(yaml)).stream().map(FieldError::field).toList();
    }

    @Test
    void aCompleteDocumentIsValidAndKeepsItsDefaults() throws Exception {
        SidecarConfig config = ConfigLoader.parse("""
                policies:
                  - name: api
                    rules: [{name: all, limits: [{requests: 10, period: 1s}]}]
                    backpressure:
                      concurrency: {maxConcurrent: 50, queueSize: 10, maxWait: 100ms}
                      shedding:
                        priorityHeader: X-Priority
                        defaultPriority: normal
                        priorities: [{name: critical, shedAtUtilisation: 100}, {name: normal, shedAtUtilisation: 90}, {name: low, shedAtUtilisation: 80}]
                      adaptive: {algorithm: Vegas, minLimit: 5, maxLimit: 100}
                breakers:
                  - name: app
                    target: Inbound
                    timeout: 2s
                    retry: {}
                  - name: payments
                    target: Outbound
                    route: {name: payments, upstream: "https://api.example.com/v1", localPort: 15001}
                    slowCallRateThreshold: 50
                    slowCallDuration: 1s
                """);
        BreakerConfig inbound = config.breakers().get(0);
        assertThat(inbound.failureRateThreshold()).isEqualTo(50);
        assertThat(inbound.minimumNumberOfCalls()).isEqualTo(100);
        assertThat(inbound.waitDurationInOpenState()).isEqualTo("60s");
        assertThat(inbound.failureStatuses()).containsExactly(500, 502, 503, 504);
        assertThat(inbound.retry().backoffBase()).isEqualTo("100ms");
        assertThat(inbound.retry().backoffMax()).isEqualTo("3200ms");
        assertThat(inbound.retry().budgetPercent()).isEqualTo(20);
        assertThat(inbound.retry().methods()).containsExactly("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
        assertThat(config.policies().get(0).backpressure().adaptive().effectiveInitialLimit()).isEqualTo(5);
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(config))).isEqualTo(config);
    }

    @Test
    void documentsWithoutBreakersDoNotMentionThem() throws Exception {
        assertThat(ConfigLoader.toYaml(SidecarConfig.of(List.of()))).doesNotContain("breakers");
    }

    @Test
    void everyProblemNamesItsField() throws Exception {
        assertThat(fields("""
                policies:
                  - name: api
                    rules: [{name: all, limits: [{requests: 10, period: 1s}]}]
                    backpressure:
                      concurrency: {maxConcurrent: 0, queueSize: -1, maxWait: soon}
                      shedding: {priorityHeader: "X Priority", defaultPriority: vip, priorities: [{name: low, shedAtUtilisation: 120}, {name: low, shedAtUtilisation: 50}]}
                      adaptive: {minLimit: 10, maxLimit: 5}
                breakers:
                  - name: App
                    target: Inbound
                    route: {name: x, upstream: "http://x", localPort: 1}
                    failureRateThreshold: 0
                    slowCallRateThreshold: 50
                    slidingWindow: {type: Time, size: 7200}
                    waitDurationInOpenState: 1mo
                    failureStatuses: [700]
                    retry: {maxAttempts: 1, backoffBase: 5s, backoffMax: 1s, methods: [get], budgetPercent: 0, maxBodyBytes: -1}
                  - name: out
                    target: Outbound
                    route: {name: Bad_Name, upstream: "ftp://x?y", localPort: 70000}
                  - name: out2
                    target: Outbound
                """)).containsExactlyInAnyOrder(
                "policies[0].backpressure.concurrency.maxConcurrent",
                "policies[0].backpressure.concurrency.queueSize",
                "policies[0].backpressure.concurrency.maxWait",
                "policies[0].backpressure.shedding.priorityHeader",
                "policies[0].backpressure.shedding.priorities[0].shedAtUtilisation",
                "policies[0].backpressure.shedding.priorities[1].name",
                "policies[0].backpressure.shedding.defaultPriority",
                "policies[0].backpressure.adaptive.maxLimit",
                "breakers[0].name",
                "breakers[0].route",
                "breakers[0].failureRateThreshold",
                "breakers[0].slowCallDuration",
                "breakers[0].slidingWindow.size",
                "breakers[0].waitDurationInOpenState",
                "breakers[0].failureStatuses[0]",
                "breakers[0].retry.maxAttempts",
                "breakers[0].retry.backoffBase",
                "breakers[0].retry.methods[0]",
                "breakers[0].retry.budgetPercent",
                "breakers[0].retry.maxBodyBytes",
                "breakers[1].route.name",
                "breakers[1].route.upstream",
                "breakers[1].route.localPort",
                "breakers[2].route");
    }

    @Test
    void routeNamesAndPortsAreNotShared() throws Exception {
        assertThat(fields("""
                breakers:
                  - {name: a, target: Outbound, route: {name: api, upstream: "http://a", localPort: 15001}}
                  - {name: b, target: Outbound, route: {name: api, upstream: "http://b", localPort: 15001}}
                  - {name: a, target: Inbound}
                """)).containsExactly("breakers[1].route.name", "breakers[1].route.localPort", "breakers[2].name");
    }

    /** A policy whose concurrency limit has {@code extra} (YAML flow fields) beside maxConcurrent. */
    private static String concurrency(String extra) {
        return """
                policies:
                  - name: api
                    rules: [{name: all, limits: [{requests: 10, period: 1s}]}]
                    backpressure:
                      concurrency: {maxConcurrent: 2%s}
                """.formatted(extra);
    }

    @Test
    void countingUpgradedConnectionsIsOptInAndWrittenOnlyWhenOn() throws Exception {
        SidecarConfig on = ConfigLoader.parse(concurrency(", countUpgradedConnections: true"));
        SidecarConfig off = ConfigLoader.parse(concurrency(", countUpgradedConnections: false"));
        SidecarConfig absent = ConfigLoader.parse(concurrency(""));

        assertThat(on.policies().get(0).backpressure().concurrency().countsUpgradedConnections()).isTrue();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(on))).isEqualTo(on);
        assertThat(absent.policies().get(0).backpressure().concurrency().countsUpgradedConnections()).isFalse();
        assertThat(off).as("false is the default, the same configuration as none").isEqualTo(absent);
        assertThat(ConfigLoader.toYaml(off)).as("a document not using the option reads as before it existed")
                .doesNotContain("countUpgradedConnections");
    }

    @Test
    void countUpgradedConnectionsIsTrueOrFalseAndAWrongValueNamesTheField() {
        for (String wrong : List.of("sometimes", "[true]", "{on: 1}")) {
            assertThatThrownBy(() -> ConfigLoader.parse(concurrency(", countUpgradedConnections: " + wrong)))
                    .as(wrong)
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
                            .containsExactly("policies[0].backpressure.concurrency.countUpgradedConnections"))
                    .hasMessageContaining("true or false");
        }
    }

    /** A breaker whose retry policy has {@code extra} (YAML flow fields). */
    private static String retry(String extra) {
        return """
                breakers:
                  - name: app
                    target: Inbound
                    retry: {maxAttempts: 3%s}
                """.formatted(extra);
    }

    @Test
    void grpcStatusesAreOptInAndWrittenOnlyWhenNamed() throws Exception {
        SidecarConfig named = ConfigLoader.parse(retry(", grpcRetryOn: [UNAVAILABLE, RESOURCE_EXHAUSTED]"));
        SidecarConfig none = ConfigLoader.parse(retry(", grpcRetryOn: []"));
        SidecarConfig absent = ConfigLoader.parse(retry(""));

        RetryConfig retry = named.breakers().get(0).retry();
        assertThat(retry.grpcRetryOn()).containsExactly(GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(retry.retriesGrpc()).isTrue();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(named))).isEqualTo(named);
        assertThat(absent.breakers().get(0).retry().retriesGrpc()).isFalse();
        assertThat(none).as("none named is the default").isEqualTo(absent);
        assertThat(ConfigLoader.toYaml(none)).as("a document not using it reads as before it existed").doesNotContain("grpcRetryOn");
    }

    @Test
    void aGrpcStatusIsNamedAsGrpcNamesItAndAWrongNameNamesTheField() {
        for (String wrong : List.of("Unavailable", "OK", "14")) {
            assertThatThrownBy(() -> ConfigLoader.parse(retry(", grpcRetryOn: [UNAVAILABLE, " + wrong + "]")))
                    .as(wrong)
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
                            .containsExactly("breakers[0].retry.grpcRetryOn[1]"))
                    .hasMessageContaining("'" + wrong + "' is not one of CANCELLED, UNKNOWN");
        }
    }

    @Test
    void aGrpcStatusIsListedOnceAndNotLeftEmpty() throws Exception {
        assertThat(ConfigValidator.validate(ConfigLoader.parseUnvalidated(retry(", grpcRetryOn: [UNAVAILABLE, ~, INTERNAL, UNAVAILABLE]"))))
                .extracting(FieldError::field, FieldError::message)
                .containsExactly(
                        tuple("breakers[0].retry.grpcRetryOn[1]",
                                "must be a gRPC status other than OK, one of [CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND,"
                                        + " ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,"
                                        + " UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED]"),
                        tuple("breakers[0].retry.grpcRetryOn[3]", "UNAVAILABLE is listed twice"));
    }
}
