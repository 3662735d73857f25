package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RedisConfigValidationTest {

    private static final String GLOBAL = """
            redis:
              addresses: [redis.sluice-system:6379]
            policies:
              - name: api
                namespace: team-a
                scope: Global
                failureMode: Open
                replicas: 3
                rules:
                  - name: shared
                    limits: [{requests: 300, period: 1m}]
            """;

    @Test
    void globalPolicyWithRedisIsValidAndDefaultsAreFilledIn() throws Exception {
        SidecarConfig config = ConfigLoader.parse(GLOBAL);

        RedisConfig redis = config.redis();
        assertThat(redis.mode()).isEqualTo(RedisMode.Standalone);
        assertThat(redis.strategy()).isEqualTo(GlobalStrategy.Lease);
        assertThat(redis.timeout()).isEqualTo("100ms");
        assertThat(redis.keyPrefix()).isEqualTo("sluice");
        assertThat(redis.leasePercent()).isEqualTo(1);
        assertThat(config.policies().get(0).effectiveReplicas()).isEqualTo(3);
    }

    @Test
    void sentinelAndClusterWithTlsAreValid() throws Exception {
        String sentinel = GLOBAL.replace("addresses: [redis.sluice-system:6379]", """
                mode: Sentinel
                  addresses: [s1:26379, s2, "[fd00::1]:26380"]
                  sentinelMaster: mymaster
                  username: sluice
                  passwordFile: /var/run/secrets/redis/password
                  tls: {caFile: /etc/redis-ca/ca.crt}""");
        String cluster = GLOBAL.replace("addresses: [redis.sluice-system:6379]", """
                mode: Cluster
                  addresses: [n1:7000, n2:7001, n3:7002]
                  strategy: Script
                  tls: {verify: CA}""");

        assertThat(ConfigValidator.validate(ConfigLoader.parseUnvalidated(sentinel))).isEmpty();
        assertThat(ConfigValidator.validate(ConfigLoader.parseUnvalidated(cluster))).isEmpty();
    }

    @Test
    void globalPolicyWithoutRedisIsValidAndLeftToTheSidecarsFailureMode() throws Exception {
        String withoutRedis = GLOBAL.replace("redis:\n  addresses: [redis.sluice-system:6379]\n", "");

        assertThat(withoutRedis).doesNotContain("redis:");
        assertThat(ConfigValidator.validate(ConfigLoader.parseUnvalidated(withoutRedis))).isEmpty();
    }

    @Test
    void documentWithoutRedisStillReadsAndWritesAsBefore() throws Exception {
        SidecarConfig config = ConfigLoader.parse("""
                policies:
                  - name: api
                    rules:
                      - name: r
                        limits: [{requests: 1, period: 1s}]
                """);

        assertThat(config.redis()).isNull();
        assertThat(config.policies().get(0).effectiveReplicas()).isEqualTo(1);
        assertThat(ConfigLoader.toYaml(config)).doesNotContain("redis").doesNotContain("replicas");
    }

    static Stream<Arguments> invalidDocuments() {
        return Stream.of(
                invalid("no address", s -> s.replace("addresses: [redis.sluice-system:6379]", "addresses: []"),
                        "redis.addresses", "at least one host:port"),
                invalid("bad port", s -> s.replace("redis.sluice-system:6379", "redis:99999"),
                        "redis.addresses[0]", "no valid port"),
                invalid("two standalone addresses", s -> s.replace("[redis.sluice-system:6379]", "[a:1, b:2]"),
                        "redis.addresses", "Standalone takes one address"),
                invalid("sentinel without master", s -> s.replace("addresses:", "mode: Sentinel\n  addresses:"),
                        "redis.sentinelMaster", "is required for mode Sentinel"),
                invalid("cluster with database", s -> s.replace("addresses:", "mode: Cluster\n  database: 2\n  addresses:"),
                        "redis.database", "must be 0 in mode Cluster"),
                invalid("timeout too long", s -> s.replace("addresses:", "timeout: 1m\n  addresses:"),
                        "redis.timeout", "between 1ms and 10s"),
                invalid("prefix with a brace", s -> s.replace("addresses:", "keyPrefix: 'a{b'\n  addresses:"),
                        "redis.keyPrefix", "{ or }"),
                invalid("lease percent", s -> s.replace("addresses:", "leasePercent: 90\n  addresses:"),
                        "redis.leasePercent", "between 1 and 50"),
                invalid("client cert without key", s -> s.replace("addresses:", "tls: {certFile: /c.pem}\n  addresses:"),
                        "redis.tls", "certFile and keyFile go together"),
                invalid("zero replicas", s -> s.replace("replicas: 3", "replicas: 0"),
                        "policies[0].replicas", "between 1 and 100000"),
                invalid("bucket4j with a window", s -> s.replace("addresses:", "strategy: Bucket4j\n  addresses:")
                                .replace("- name: shared", "- name: shared\n        algorithm: FixedWindow"),
                        "policies[0].rules[0].algorithm", "token buckets only"));
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
    void addressesParseWithDefaultPortsAndIpv6() {
        assertThat(RedisAddress.parse("redis", 6379)).isEqualTo(new RedisAddress("redis", 6379));
        assertThat(RedisAddress.parse("10.0.0.1:7000", 6379)).isEqualTo(new RedisAddress("10.0.0.1", 7000));
        assertThat(RedisAddress.parse("[::1]:7000", 6379)).isEqualTo(new RedisAddress("::1", 7000));
        assertThat(RedisAddress.parse("[::1]", 6379).toString()).isEqualTo("[::1]:6379");
        assertThatThrownBy(() -> RedisAddress.parse("::1:7000", 6379)).hasMessageContaining("[address]:port");
    }

    private static Arguments invalid(String description, UnaryOperator<String> edit, String field, String message) {
        return Arguments.of(description, edit.apply(GLOBAL), field, message);
    }
}
