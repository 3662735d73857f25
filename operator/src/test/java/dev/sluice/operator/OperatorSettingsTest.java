package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import dev.sluice.api.config.RedisMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorSettingsTest {

    @Test
    void outsideAClusterDefaultsWatchAllNamespacesWithoutLeaderElection() {
        OperatorSettings settings = OperatorSettings.parse(new String[0], Map.of());

        assertThat(settings.namespaces()).isEmpty();
        assertThat(settings.httpPort()).isEqualTo(OperatorSettings.DEFAULT_HTTP_PORT);
        assertThat(settings.leaderElection()).isFalse();
        assertThat(settings.serverSideApply()).isTrue();
    }

    @Test
    void inAClusterLeaderElectionIsOnByDefault() {
        assertThat(OperatorSettings.parse(new String[0], Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")).leaderElection()).isTrue();
    }

    @Test
    void flagsWinOverEnvironment() {
        OperatorSettings settings = OperatorSettings.parse(
                new String[] {"--namespaces=shop, billing", "--http-port", "9000", "--log-format=json"},
                Map.of("SLUICE_NAMESPACES", "other", "SLUICE_LEADER_ELECTION", "true", "SLUICE_TRUSTED_PROXIES", "10.0.0.0/8"));

        assertThat(settings.namespaces()).containsExactlyInAnyOrder("shop", "billing");
        assertThat(settings.httpPort()).isEqualTo(9000);
        assertThat(settings.leaderElection()).isTrue();
        assertThat(settings.trustedProxies()).containsExactly("10.0.0.0/8");
        assertThat(settings.jsonLogs()).isTrue();
    }

    @Test
    void redisForGlobalPoliciesComesFromAFileInTheSidecarDocumentsFormat(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("redis.yaml");
        Files.writeString(file, "redis:\n  mode: Cluster\n  addresses: [redis-0:6379, redis-1:6379]\n  passwordFile: /etc/sluice/redis/password\n");

        OperatorSettings settings = OperatorSettings.parse(new String[] {"--redis-config=" + file}, Map.of());

        assertThat(settings.redis().mode()).isEqualTo(RedisMode.Cluster);
        assertThat(settings.redis().addresses()).containsExactly("redis-0:6379", "redis-1:6379");
        assertThat(OperatorSettings.parse(new String[0], Map.of()).redis()).isNull();

        Files.writeString(file, "redis:\n  addresses: []\n");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[0], Map.of("SLUICE_REDIS_CONFIG", file.toString())))
                .hasMessageContaining("--redis-config " + file).hasMessageContaining("redis.addresses");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--redis-config", directory.resolve("missing").toString()}, Map.of()))
                .hasMessageContaining("cannot be read");
    }

    @Test
    void theLogLevelIsCheckedAndSetsTheRootLevelOfBothLogbackConfigurations() throws Exception {
        assertThat(OperatorSettings.parse(new String[0], Map.of()).logLevel()).isEqualTo("INFO");
        assertThat(OperatorSettings.parse(new String[0], Map.of("SLUICE_LOG_LEVEL", "Debug")).logLevel()).isEqualTo("DEBUG");
        assertThat(OperatorSettings.parse(new String[] {"--log-level=warn"}, Map.of("SLUICE_LOG_LEVEL", "trace")).logLevel()).isEqualTo("WARN");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[0], Map.of("SLUICE_LOG_LEVEL", "verbose")))
                .hasMessage("--log-level must be trace, debug, info, warn or error (any case), got 'verbose'");

        for (String file : List.of("logback.xml", "logback-json.xml")) {
            assertThat(rootLevel(file, null)).as(file).isEqualTo(Level.INFO);
            assertThat(rootLevel(file, "dEbUg")).as(file).isEqualTo(Level.DEBUG);
            assertThat(rootLevel(file, "ERROR")).as(file).isEqualTo(Level.ERROR);
        }
    }

    /** The root level a logback configuration on the class path sets, with SLUICE_LOG_LEVEL as given (null: unset). */
    private static Level rootLevel(String file, String sluiceLogLevel) throws Exception {
        LoggerContext context = new LoggerContext();
        if (sluiceLogLevel != null) {
            context.putProperty("SLUICE_LOG_LEVEL", sluiceLogLevel);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(OperatorSettingsTest.class.getClassLoader().getResource(file));
        Level level = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel();
        context.stop();
        return level;
    }

    @Test
    void theSidecarsReportsAreReadEveryTwoSecondsByDefaultAndZeroTurnsThemOff() {
        assertThat(OperatorSettings.parse(new String[0], Map.of()).reportInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(OperatorSettings.parse(new String[] {"--report-interval=500ms"}, Map.of()).reportInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(OperatorSettings.parse(new String[0], Map.of("SLUICE_REPORT_INTERVAL", "5s")).reportInterval()).isEqualTo(Duration.ofSeconds(5));
        OperatorSettings off = OperatorSettings.parse(new String[] {"--report-interval", "0"}, Map.of());
        assertThat(off.reportsEnabled()).isFalse();
        assertThat(OperatorSettings.forTests().reportsEnabled()).as("mock-server tests see today's status unless they ask").isFalse();

        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--report-interval=2 seconds"}, Map.of()))
                .hasMessageContaining("--report-interval");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--report-interval=100ms"}, Map.of()))
                .hasMessageContaining("--report-interval must be 0 (off) or at least 500ms, got '100ms'");
    }

    @Test
    void badValuesAreRefusedWithTheOptionName() {
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--http-port=http"}, Map.of())).hasMessageContaining("--http-port");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--namespace=x"}, Map.of())).hasMessageContaining("unknown option --namespace");
    }

    @Test
    void injectionIsServedByTheWebhookServerAndRefusedWithoutIt() {
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--injection=true", "--sidecar-image=reg/sidecar:1"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--injection=true needs the webhook server").hasMessageContaining("--webhook=true");

        OperatorSettings settings = OperatorSettings.parse(new String[] {"--injection=true", "--sidecar-image=reg/sidecar:1"},
                Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"));
        assertThat(settings.injection().enabled()).isTrue();
        assertThat(settings.injection().image()).isEqualTo("reg/sidecar:1");
        assertThat(settings.webhook().configurations()).as("the pod webhook's configuration gets the caBundle too")
                .containsExactly("sluice-jobs", "sluice-job-updates", "sluice-pods");
    }

    @Test
    void namedWebhookConfigurationsAreTakenAsGivenAndInjectionIsOffByDefault() {
        OperatorSettings injecting = OperatorSettings.parse(new String[] {"--injection=true", "--sidecar-image=reg/sidecar:1", "--webhook=true",
                "--webhook-configurations=a-jobs,a-job-updates,a-pods"}, Map.of());
        assertThat(injecting.webhook().configurations()).containsExactly("a-jobs", "a-job-updates", "a-pods");

        OperatorSettings plain = OperatorSettings.parse(new String[0], Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"));
        assertThat(plain.injection().enabled()).isFalse();
        assertThat(plain.webhook().configurations()).containsExactly("sluice-jobs", "sluice-job-updates");
        assertThat(OperatorSettings.USAGE).contains("--injection=B", "--sidecar-image=REF", "--sidecar-redis-secret=NAME/KEY");
    }
}
