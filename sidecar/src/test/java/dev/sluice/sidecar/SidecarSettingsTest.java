package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SidecarSettingsTest {
    private static final String[] REQUIRED = {"--config", "c.yaml", "--upstream", "http://127.0.0.1:8081"};

    @Test
    void theArgumentsTheInjectorGivesAreRead() {
        Map<String, String> env = Map.of("SLUICE_DRAIN_TOKEN", "0123456789abcdef0123456789abcdef", "SLUICE_LOG_LEVEL", "debug",
                "SLUICE_UPSTREAM_TIMEOUT", "45s");
        SidecarSettings settings = settings(env, "--config", "/etc/sluice/sidecar.yaml", "--config-optional", "--pod-labels",
                "/etc/podinfo/labels", "--upstream", "http://127.0.0.1:15100", "--port", "8080", "--admin-port", "15021",
                "--reload-interval", "1s");

        assertThat(settings.configFile()).isEqualTo(Path.of("/etc/sluice/sidecar.yaml"));
        assertThat(settings.configOptional()).isTrue();
        assertThat(settings.podLabelsFile()).isEqualTo(Path.of("/etc/podinfo/labels"));
        assertThat(settings.upstream()).isEqualTo(URI.create("http://127.0.0.1:15100"));
        assertThat(settings.port()).isEqualTo(8080);
        assertThat(settings.adminPort()).isEqualTo(15021);
        assertThat(settings.reloadInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.upstreamTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(settings.logLevel()).isEqualTo("DEBUG");
        assertThat(settings.drainToken().matches("0123456789abcdef0123456789abcdef")).isTrue();
        assertThat(settings.drainToken().matches("0123456789abcdef0123456789abcdeF")).isFalse();
        assertThat(settings.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void theConfigIsRequiredUnlessSaidOptionalByFlagOrVariable() {
        assertThat(settings(Map.of(), REQUIRED).configOptional()).isFalse();
        assertThat(settings(Map.of("SLUICE_CONFIG_OPTIONAL", "true"), REQUIRED).configOptional()).isTrue();
        assertThat(settings(Map.of("SLUICE_CONFIG_OPTIONAL", "true"), "--config=c.yaml", "--config-optional=false", "--upstream=http://x")
                .configOptional()).as("the flag wins over the variable").isFalse();
        assertThatThrownBy(() -> settings(Map.of("SLUICE_CONFIG_OPTIONAL", "yes"), REQUIRED))
                .hasMessage("--config-optional must be true or false, got 'yes'");
    }

    @Test
    void withoutADrainTokenDrainIsOff() {
        assertThat(settings(Map.of(), REQUIRED).drainToken()).isNull();
        assertThat(settings(Map.of("SLUICE_DRAIN_TOKEN", " "), REQUIRED).drainToken()).isNull();
        assertThatThrownBy(() -> settings(Map.of(), "--drain-token", "x", "--config", "c.yaml", "--upstream", "http://x"))
                .as("a token is a secret: not on the command line, where ps shows it").hasMessage("unknown option --drain-token");
    }

    @Test
    void theLogLevelIsAnyCaseAndAnythingElseIsRefusedNamingIt() {
        assertThat(settings(Map.of(), REQUIRED).logLevel()).isEqualTo("INFO");
        assertThat(settings(Map.of("SLUICE_LOG_LEVEL", "Trace"), REQUIRED).logLevel()).isEqualTo("TRACE");
        assertThat(settings(Map.of("SLUICE_LOG_LEVEL", "trace"), "--log-level=eRRor", "--config=c.yaml", "--upstream=http://x").logLevel())
                .isEqualTo("ERROR");
        assertThatThrownBy(() -> settings(Map.of("SLUICE_LOG_LEVEL", "verbose"), REQUIRED))
                .hasMessage("--log-level must be trace, debug, info, warn or error (any case), got 'verbose'");
    }

    private static SidecarSettings settings(Map<String, String> env, String... args) {
        return SidecarSettings.of(SidecarSettings.flags(args, env), env);
    }
}
