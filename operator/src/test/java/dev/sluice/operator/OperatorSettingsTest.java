package dev.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

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
    void badValuesAreRefusedWithTheOptionName() {
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--http-port=http"}, Map.of())).hasMessageContaining("--http-port");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--namespace=x"}, Map.of())).hasMessageContaining("unknown option --namespace");
    }
}
