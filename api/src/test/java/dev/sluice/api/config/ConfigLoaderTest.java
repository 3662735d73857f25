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
}
