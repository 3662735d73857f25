package dev.sluice.operator.uninstall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.operator.uninstall.UninstallSettings.ObjectName;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UninstallSettingsTest {
    @Test
    void flagsAsTheChartsHookPassesThem() {
        UninstallSettings settings = UninstallSettings.parse(new String[] {"--deployment=sluice-system/sluice-operator", "--namespaces=shop, batch",
            "--lease", "sluice-system/sluice-operator", "--webhook-secret=sluice-system/sluice-webhook-tls", "--stop-timeout=160s",
            "--log-level=debug", "--log-format=json"}, Map.of());

        assertThat(settings.deployment()).isEqualTo(new ObjectName("sluice-system", "sluice-operator"));
        assertThat(settings.namespaces()).containsExactlyInAnyOrder("shop", "batch");
        assertThat(settings.lease()).isEqualTo(new ObjectName("sluice-system", "sluice-operator"));
        assertThat(settings.webhookSecret()).isEqualTo(new ObjectName("sluice-system", "sluice-webhook-tls"));
        assertThat(settings.stopTimeout()).isEqualTo(Duration.ofSeconds(160));
        assertThat(settings.logLevel()).isEqualTo("DEBUG");
        assertThat(settings.jsonLogs()).isTrue();
    }

    @Test
    void environmentVariablesAndDefaults() {
        UninstallSettings settings = UninstallSettings.parse(new String[0], Map.of("SLUICE_DEPLOYMENT", "ops/sluice"));

        assertThat(settings.deployment()).isEqualTo(new ObjectName("ops", "sluice"));
        assertThat(settings.namespaces()).isEmpty();
        assertThat(settings.lease()).isNull();
        assertThat(settings.webhookSecret()).isNull();
        assertThat(settings.stopTimeout()).isEqualTo(UninstallSettings.DEFAULT_STOP_TIMEOUT);
        assertThat(settings.logLevel()).isEqualTo("INFO");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "--lease=x/y; --deployment (or SLUICE_DEPLOYMENT) is required",
        "--deployment=sluice-operator; --deployment must be NAMESPACE/NAME, got 'sluice-operator'",
        "--deployment=a/b/c; --deployment must be NAMESPACE/NAME, got 'a/b/c'",
        "--deployment=a/b --lease=/b; --lease must be NAMESPACE/NAME, got '/b'",
        "--deployment=a/b --stop-timeout=soon; --stop-timeout",
        "--deployment=a/b --stop-timeout=0s; --stop-timeout '0s' must be longer than zero",
        "--deployment=a/b --log-level=loud; --log-level must be trace, debug, info, warn or error (any case), got 'loud'",
        "--deployment=a/b --colour=blue; unknown option --colour"})
    void badFlagsAreRefusedNamingTheFlagAndTheValue(String args, String message) {
        assertThatThrownBy(() -> UninstallSettings.parse(args.split(" "), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
