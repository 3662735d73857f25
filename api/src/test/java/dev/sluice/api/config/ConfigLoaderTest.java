package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final String VALID = """
            generation: 4
            trustedProxies: [10.0.0.0/8]
            policies:
              - name: api
                rules:
                  - name: per-client
                    key: [{type: ClientIP}]
                    limits:
                      - {requests: 10, period: 1s, burst: 20}
                      - {requests: 1000, period: 1h}
            """;

    @Test
    void parsesYamlAndFillsDefaults() throws Exception {
        SidecarConfig config = ConfigLoader.parse(VALID);

        assertThat(config.generation()).isEqualTo(4);
        PolicyConfig policy = config.policies().get(0);
        assertThat(policy.mode()).isEqualTo(Mode.Enforce);
        assertThat(policy.scope()).isEqualTo(Scope.Local);
        RuleConfig rule = policy.rules().get(0);
        assertThat(rule.algorithm()).isEqualTo(Algorithm.TokenBucket);
        assertThat(rule.cost()).isEqualTo(1);
        assertThat(rule.missingKey()).isEqualTo(MissingKey.Shared);
        assertThat(rule.limits()).containsExactly(LimitConfig.of(10, "1s").withBurst(20), LimitConfig.of(1000, "1h"));
        assertThat(config.keys()).isEqualTo(KeySettings.defaults());
    }

    @Test
    void acceptsJson() throws Exception {
        SidecarConfig config = ConfigLoader.parse("""
                {"policies": [{"name": "api", "rules": [{"name": "all", "limits": [{"requests": 5, "period": "1m"}]}]}]}
                """);

        assertThat(config.policies().get(0).rules().get(0).limits().get(0).requests()).isEqualTo(5);
    }

    @Test
    void roundTripsThroughYaml() throws Exception {
        SidecarConfig config = ConfigLoader.parse(VALID);

        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(config))).isEqualTo(config);
    }

    @Test
    void unknownFieldIsNamedWithItsPath() {
        assertThatThrownBy(() -> ConfigLoader.parse(VALID.replace("burst: 20", "brust: 20")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("policies[0].rules[0].limits[0]")
                .hasMessageContaining("unknown field 'brust'")
                .hasMessageContaining("burst");
    }

    @Test
    void wrongEnumValueListsTheAllowedOnes() {
        assertThatThrownBy(() -> ConfigLoader.parse(VALID.replace("type: ClientIP", "type: ClientIp")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("policies[0].rules[0].key[0].type")
                .hasMessageContaining("'ClientIp' is not one of ClientIP, Header, PathSegment, Route");
    }

    @Test
    void wrongTypeIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.parse(VALID.replace("requests: 10,", "requests: ten,")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("policies[0].rules[0].limits[0].requests")
                .hasMessageContaining("'ten' is not a valid a whole number");
    }

    @Test
    void semanticErrorsAreReportedTogether() {
        assertThatThrownBy(() -> ConfigLoader.parse(VALID.replace("period: 1s", "period: 1 second").replace("requests: 1000", "requests: 0")))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
                        .containsExactly("policies[0].rules[0].limits[0].period", "policies[0].rules[0].limits[1].requests"));
    }

    @Test
    void emptyAndMalformedDocumentsAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.parse("  \n")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ConfigLoader.parse("policies: [")).hasMessageContaining("not valid YAML or JSON");
        assertThatThrownBy(() -> ConfigLoader.parse("policies:\n  - name: api\n   rules: x\n"))
                .hasMessage("not valid YAML or JSON at line 3, column 4: expected <block end>, but found '<block mapping start>'");
    }

    /** A document of a newer format than this build's, with fields this build does not know at every depth. */
    private static final String NEWER = """
            version: 2
            generation: 9
            newTopLevel: {a: [1, 2], b: x}
            resources:
              - {kind: RateLimitPolicy, name: api, generation: 4, digest: abc}
              - {kind: CircuitBreaker, name: app, generation: 2}
            policies:
              - name: api
                priorityClass: high
                rules:
                  - name: first
                    limits: [{requests: 1, period: 1s}]
                  - name: per-client
                    newThing: [{nested: {deeper: 1}}]
                    key: [{type: ClientIP, mask: 24}]
                    limits:
                      - {requests: 10, period: 1s, jitter: 5ms}
                    match: {path: {prefix: /api}, hosts: [a.example]}
            breakers:
              - name: app
                target: Inbound
                retry: {maxAttempts: 2, hedging: true}
                route: null
            redis: {addresses: ['redis:6379'], pipelining: 8}
            """;

    @Test
    void aNewerFormatIsReadLenientlyAndEveryIgnoredFieldIsNamedWithItsPath() throws Exception {
        ConfigLoader.Parsed parsed = ConfigLoader.read(NEWER);

        assertThat(parsed.newerFormat()).isTrue();
        assertThat(parsed.ignoredFields()).containsExactly(
                "breakers[0].retry.hedging",
                "newTopLevel",
                "policies[0].priorityClass",
                "policies[0].rules[1].key[0].mask",
                "policies[0].rules[1].limits[0].jitter",
                "policies[0].rules[1].match.hosts",
                "policies[0].rules[1].newThing",
                "redis.pipelining",
                "resources[0].digest");
        // What is known is read in full, the fields after a skipped one too.
        SidecarConfig config = parsed.config();
        assertThat(config.version()).isEqualTo(2);
        assertThat(config.generation()).isEqualTo(9);
        assertThat(config.resources()).containsExactly(new RenderedResource("RateLimitPolicy", "api", 4L),
                new RenderedResource("CircuitBreaker", "app", 2L));
        RuleConfig rule = config.policies().get(0).rules().get(1);
        assertThat(rule.key()).hasSize(1);
        assertThat(rule.limits()).containsExactly(LimitConfig.of(10, "1s"));
        assertThat(rule.match().path().prefix()).isEqualTo("/api");
        assertThat(config.breakers().get(0).retry().maxAttempts()).isEqualTo(2);
        assertThat(config.redis().addresses()).containsExactly("redis:6379");
    }

    @Test
    void aNewerFormatIsStillValidatedAndTypedAsToday() {
        assertThatThrownBy(() -> ConfigLoader.read(NEWER.replace("requests: 10,", "requests: 0,")))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
                        .containsExactly("policies[0].rules[1].limits[0].requests"));
        assertThatThrownBy(() -> ConfigLoader.read(NEWER.replace("requests: 10,", "requests: ten,")))
                .hasMessageContaining("policies[0].rules[1].limits[0].requests")
                .hasMessageContaining("'ten' is not a valid a whole number");
        // A value this build does not know is not a field it can skip: enforcing without it would be another limit.
        assertThatThrownBy(() -> ConfigLoader.read(NEWER.replace("type: ClientIP", "type: ClientSubnet")))
                .hasMessageContaining("policies[0].rules[1].key[0].type")
                .hasMessageContaining("'ClientSubnet' is not one of");
    }

    @Test
    void theCurrentFormatAndDocumentsWithoutAVersionStayStrict() {
        String current = "version: 1\n" + VALID.replace("burst: 20", "brust: 20");
        assertThatThrownBy(() -> ConfigLoader.read(current))
                .hasMessageContaining("policies[0].rules[0].limits[0]")
                .hasMessageContaining("unknown field 'brust'");
        assertThatThrownBy(() -> ConfigLoader.read(VALID + "newTopLevel: 1\n"))
                .hasMessageContaining("unknown field 'newTopLevel'");
    }

    @Test
    void aStrictReadingIgnoresNothing() throws Exception {
        ConfigLoader.Parsed parsed = ConfigLoader.read("version: 1\n" + VALID);

        assertThat(parsed.ignoredFields()).isEmpty();
        assertThat(parsed.newerFormat()).isFalse();
        assertThat(ConfigLoader.read(VALID).config().effectiveVersion()).isEqualTo(1);
    }

    @Test
    void aVersionBelowOneOrNotAWholeNumberIsRefusedWithItsField() {
        assertThatThrownBy(() -> ConfigLoader.read("version: 0\n" + VALID))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors())
                        .containsExactly(new FieldError("version", "must be at least 1 (the document format; 1 is the newest this build reads), got 0")));
        assertThatThrownBy(() -> ConfigLoader.read("version: -3\nnewTopLevel: 1\n" + VALID))
                .hasMessageContaining("unknown field 'newTopLevel'");
        assertThatThrownBy(() -> ConfigLoader.read("version: two\n" + VALID))
                .hasMessageStartingWith("version: ");
        assertThatThrownBy(() -> ConfigLoader.read("version: 99999999999\n" + VALID))
                .hasMessageStartingWith("version: ").hasMessageContaining("out of range");
        assertThatThrownBy(() -> ConfigLoader.read(VALID.replace("requests: 1000", "requests: 99999999999999999999")))
                .hasMessageStartingWith("policies[0].rules[0].limits[1].requests: ").hasMessageContaining("out of range");
    }

    @Test
    void theHeaderIsReadFromADocumentThatIsRefused() {
        String refused = NEWER.replace("requests: 10,", "requests: ten,");
        assertThatThrownBy(() -> ConfigLoader.read(refused)).isInstanceOf(InvalidConfigException.class);

        ConfigLoader.Header header = ConfigLoader.header(refused);
        assertThat(header.generation()).isEqualTo(9);
        assertThat(header.version()).isEqualTo(2);
        assertThat(header.resources()).extracting(RenderedResource::name).containsExactly("api", "app");
        assertThat(ConfigLoader.header("generation: 3\nresources: {not: a list}\npolicies: [")).isEqualTo(new ConfigLoader.Header(null, null, null));
        assertThat(ConfigLoader.header("generation: 3\nresources: [{kind: RateLimitPolicy, name: a, generation: x}]\n"))
                .isEqualTo(new ConfigLoader.Header(3L, null, null));
        assertThat(ConfigLoader.header("just a string")).isEqualTo(new ConfigLoader.Header(null, null, null));
    }
}
