package dev.sluice.api.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class FlagsTest {
    private static final Map<String, String> VARIABLES = Map.of("config", "SLUICE_CONFIG", "bind", "SLUICE_BIND_ADDRESS");
    private static final Set<String> SWITCHES = Set.of("check");

    @Test
    void aFlagTakesItsValueAfterAnEqualsSignOrAsTheNextArgument() {
        UnaryOperator<String> flags = Flags.parse(new String[] {"--config=a.yaml", "--bind", "127.0.0.1"}, Map.of(), VARIABLES, SWITCHES);

        assertThat(flags.apply("config")).isEqualTo("a.yaml");
        assertThat(flags.apply("bind")).isEqualTo("127.0.0.1");
        assertThat(flags.apply("check")).isNull();
    }

    @Test
    void anAbsentFlagFallsBackToItsVariableAndAGivenOneWins() {
        Map<String, String> env = Map.of("SLUICE_CONFIG", "env.yaml", "SLUICE_BIND_ADDRESS", "0.0.0.0", "SLUICE_BIND", "wrong");

        UnaryOperator<String> flags = Flags.parse(new String[] {"--config", "flag.yaml"}, env, VARIABLES, SWITCHES);

        assertThat(flags.apply("config")).isEqualTo("flag.yaml");
        assertThat(flags.apply("bind")).as("the variable the flag maps to, not SLUICE_<NAME>").isEqualTo("0.0.0.0");
    }

    @Test
    void aSwitchTakesNoValueAndHasNoVariable() {
        UnaryOperator<String> flags = Flags.parse(new String[] {"--check", "--config", "a.yaml"}, Map.of("SLUICE_CHECK", "true"),
                VARIABLES, SWITCHES);

        assertThat(flags.apply("check")).isEqualTo("true");
        assertThat(flags.apply("config")).isEqualTo("a.yaml");
        assertThat(Flags.parse(new String[0], Map.of("SLUICE_CHECK", "true"), VARIABLES, SWITCHES).apply("check")).isNull();
    }

    @Test
    void problemsNameTheArgument() {
        assertThatThrownBy(() -> Flags.parse(new String[] {"a.yaml"}, Map.of(), VARIABLES, SWITCHES))
                .hasMessage("unexpected argument 'a.yaml'");
        assertThatThrownBy(() -> Flags.parse(new String[] {"--colour", "blue"}, Map.of(), VARIABLES, SWITCHES))
                .hasMessage("unknown option --colour");
        assertThatThrownBy(() -> Flags.parse(new String[] {"--config"}, Map.of(), VARIABLES, SWITCHES))
                .hasMessage("option --config needs a value");
    }

    @Test
    void settingsDeriveTheVariablesAndShowTheUsageWithAProblem() {
        UnaryOperator<String> flags = Flags.settings(new String[] {"--http-port=1"}, Map.of("SLUICE_LEASE_NAME", "lease"),
                Set.of("http-port", "lease-name"), "Usage: x");

        assertThat(flags.apply("http-port")).isEqualTo("1");
        assertThat(flags.apply("lease-name")).isEqualTo("lease");
        assertThatThrownBy(() -> Flags.settings(new String[] {"--namespace=x"}, Map.of(), Set.of("namespaces"), "Usage: x"))
                .hasMessage("unknown option --namespace\nUsage: x");
    }

    @Test
    void valuesAreParsedOrRefusedNamingTheFlagAndTheValue() {
        assertThat(Flags.port("--port", " 8080")).isEqualTo(8080);
        assertThatThrownBy(() -> Flags.port("--port", "70000")).hasMessage("--port '70000' is not a port (0-65535)");
        assertThatThrownBy(() -> Flags.port("--port", "http")).hasMessage("--port 'http' is not a port (0-65535)");
        assertThat(Flags.bool("--leader-election", "TRUE")).isTrue();
        assertThatThrownBy(() -> Flags.bool("--leader-election", "yes")).hasMessage("--leader-election must be true or false, got 'yes'");
        assertThat(Flags.duration("--upstream-timeout", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> Flags.duration("--upstream-timeout", "1mo")).hasMessageStartingWith("--upstream-timeout '1mo' must be a fixed duration");
        assertThat(Flags.list(" a, ,b ")).containsExactly("a", "b");
        assertThat(Flags.list(null)).isEmpty();
        assertThat(Flags.logLevel("--log-level", " wArN")).isEqualTo("WARN");
        assertThatThrownBy(() -> Flags.logLevel("--log-level", "verbose"))
                .hasMessage("--log-level must be trace, debug, info, warn or error (any case), got 'verbose'");
    }
}
