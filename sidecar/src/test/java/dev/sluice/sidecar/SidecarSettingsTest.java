package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.sidecar.watch.ConfigMapWatchSettings;
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
    void anH2cUpstreamAndTheUpgradeIdleTimeoutAreRead() {
        SidecarSettings settings = settings(Map.of("SLUICE_UPGRADE_IDLE_TIMEOUT", "10m"), "--config", "c.yaml", "--upstream", "h2c://127.0.0.1:9000");

        assertThat(settings.upstream()).isEqualTo(URI.create("h2c://127.0.0.1:9000"));
        assertThat(settings.upgradeIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings(Map.of(), REQUIRED).upgradeIdleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(settings(Map.of(), "--config=c.yaml", "--upstream=http://x", "--upgrade-idle-timeout=90s").upgradeIdleTimeout())
                .isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> settings(Map.of(), "--config=c.yaml", "--upstream=http://x", "--upgrade-idle-timeout=0s"))
                .hasMessageStartingWith("--upgrade-idle-timeout '0s' must be longer than zero");
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
    void theWatchOfTheConfigMapIsOnTheKeyNamedLikeTheFileAndTheApiServerOfThePod() {
        Map<String, String> env = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");
        SidecarSettings settings = settings(env, "--config", "/etc/sluice/sidecar.yaml", "--config-optional", "--upstream",
                "http://127.0.0.1:15100", "--config-watch", "shop/sluice-config");

        assertThat(settings.configWatch()).isEqualTo(new ConfigMapWatchSettings("shop", "sluice-config", "sidecar.yaml",
                URI.create("https://10.96.0.1:443"), Path.of("/var/run/secrets/sluice/token"), Path.of("/var/run/secrets/sluice/ca.crt")));
        assertThat(settings(Map.of(), REQUIRED).configWatch()).as("without the flag").isNull();
    }

    @Test
    void anIpv6ApiServerIsBracketedAndTheFlagsOverrideTheDefaults() {
        Map<String, String> env = Map.of("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", "KUBERNETES_SERVICE_PORT", "443",
                "SLUICE_CONFIG_WATCH", "shop/sluice-config", "SLUICE_API_TOKEN", "/t/token");
        assertThat(settings(env, REQUIRED).configWatch().apiServer()).isEqualTo(URI.create("https://[fd00:10:96::1]:443"));
        assertThat(settings(env, REQUIRED).configWatch().tokenFile()).isEqualTo(Path.of("/t/token"));

        SidecarSettings overridden = settings(env, "--config=c.yaml", "--upstream=http://x", "--api-server=https://127.0.0.1:6443",
                "--api-ca=/t/ca.pem");
        assertThat(overridden.configWatch().apiServer()).isEqualTo(URI.create("https://127.0.0.1:6443"));
        assertThat(overridden.configWatch().caFile()).isEqualTo(Path.of("/t/ca.pem"));
        assertThat(overridden.configWatch().key()).isEqualTo("c.yaml");
    }

    @Test
    void aBadWatchIsRefusedNamingTheValue() {
        Map<String, String> env = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");
        assertThatThrownBy(() -> settings(env, "--config=c.yaml", "--upstream=http://x", "--config-watch=sluice-config"))
                .hasMessage("--config-watch 'sluice-config' must be NAMESPACE/NAME, a namespace and a ConfigMap name, e.g. default/sluice-config");
        assertThatThrownBy(() -> settings(env, "--config=c.yaml", "--upstream=http://x", "--config-watch=Shop/x"))
                .hasMessageStartingWith("--config-watch 'Shop/x' must be NAMESPACE/NAME");
        assertThatThrownBy(() -> settings(Map.of(), "--config=c.yaml", "--upstream=http://x", "--config-watch=shop/sluice-config"))
                .hasMessage("--config-watch needs the API server: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (set in every pod)"
                        + " or --api-server URL (SLUICE_API_SERVER)");
        assertThatThrownBy(() -> settings(env, "--config=c.yaml", "--upstream=http://x", "--config-watch=shop/sluice-config",
                "--api-server=http://127.0.0.1:6443"))
                .hasMessage("--api-server 'http://127.0.0.1:6443' must be an https:// URL with a host");
        assertThatThrownBy(() -> settings(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "https"),
                "--config=c.yaml", "--upstream=http://x", "--config-watch=shop/sluice-config"))
                .hasMessageStartingWith("KUBERNETES_SERVICE_HOST '10.96.0.1' and KUBERNETES_SERVICE_PORT 'https' do not make an API server URL");
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

    @Test
    void theCapsDefaultToTheOpenFileLimitAndAreSetByFlagOrVariable() {
        assertThat(settings(Map.of(), REQUIRED).caps()).isEqualTo(OverloadCaps.defaults());
        assertThat(settings(Map.of("SLUICE_MAX_CONNECTIONS", "1000"), REQUIRED).caps()).as("half may be parked")
                .isEqualTo(new OverloadCaps(1000, 500));
        assertThat(settings(Map.of("SLUICE_MAX_PARKED", "0"), "--max-connections=10", "--config=c.yaml", "--upstream=http://x").caps())
                .isEqualTo(new OverloadCaps(10, 0));
        assertThat(settings(Map.of(), "--max-connections", "1", "--config=c.yaml", "--upstream=http://x").caps())
                .isEqualTo(new OverloadCaps(1, 1));
    }

    @Test
    void aCapThatIsNotACountIsRefusedNamingTheFlagAndTheValue() {
        assertThatThrownBy(() -> settings(Map.of("SLUICE_MAX_CONNECTIONS", "0"), REQUIRED))
                .hasMessage("--max-connections '0' must be a whole number of at least 1");
        assertThatThrownBy(() -> settings(Map.of(), "--max-connections=lots", "--config=c.yaml", "--upstream=http://x"))
                .hasMessage("--max-connections 'lots' must be a whole number of at least 1");
        assertThatThrownBy(() -> settings(Map.of("SLUICE_MAX_PARKED", "-1"), REQUIRED))
                .hasMessage("--max-parked '-1' must be a whole number of at least 0");
    }

    private static SidecarSettings settings(Map<String, String> env, String... args) {
        return SidecarSettings.of(SidecarSettings.flags(args, env), env);
    }
}
