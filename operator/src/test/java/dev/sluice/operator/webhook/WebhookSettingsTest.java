package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.operator.OperatorSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSettingsTest {
    @Test
    void outsideAClusterTheWebhookIsOffUnlessAskedFor() {
        assertThat(OperatorSettings.parse(new String[0], Map.of()).webhook().enabled()).isFalse();
        assertThat(OperatorSettings.forTests().webhook().enabled()).isFalse();

        WebhookSettings local = OperatorSettings.parse(new String[] {"--webhook=true", "--webhook-port=0", "--webhook-bind=127.0.0.1"}, Map.of())
                .webhook();
        assertThat(local.enabled()).isTrue();
        assertThat(local.port()).isZero();
        assertThat(local.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(local.url()).isNull();
        assertThat(local.service()).isNull();
    }

    @Test
    void inAClusterItIsOnAndReachedThroughItsService() {
        WebhookSettings settings = OperatorSettings.parse(new String[0], Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")).webhook();

        assertThat(settings.enabled()).isTrue();
        assertThat(settings.port()).isEqualTo(WebhookSettings.DEFAULT_PORT);
        assertThat(settings.service()).isEqualTo(WebhookSettings.DEFAULT_SERVICE);
        assertThat(settings.secret()).isEqualTo(WebhookSettings.DEFAULT_SECRET);
    }

    @Test
    void environmentVariablesAndCertManagerFilesAreRead() {
        WebhookSettings settings = OperatorSettings.parse(new String[0], Map.of("SLUICE_WEBHOOK", "true",
                "SLUICE_WEBHOOK_SERVICE", "sluice/webhook:8443", "SLUICE_WEBHOOK_CERT_DIR", "/certs")).webhook();

        assertThat(settings.certDir()).isEqualTo(Path.of("/certs"));
        assertThat(WebhookSettings.service(settings.service(), "default")).containsExactly("sluice", "webhook", "8443");
        assertThat(WebhookSettings.hosts(settings, WebhookSettings.service(settings.service(), "default")))
                .contains("127.0.0.1", "webhook.sluice.svc", "webhook.sluice.svc.cluster.local");
    }

    @Test
    void theChartsValuesParse() {
        WebhookSettings settings = OperatorSettings.parse(new String[0], Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1",
                "SLUICE_WEBHOOK_SERVICE", "sluice-system/sluice-operator-webhook:443",
                "SLUICE_WEBHOOK_SECRET", "sluice-system/sluice-webhook-tls",
                "SLUICE_WEBHOOK_CONFIGURATIONS", "team-sluice-jobs, team-sluice-job-updates")).webhook();

        assertThat(WebhookSettings.service(settings.service(), "default")).containsExactly("sluice-system", "sluice-operator-webhook", "443");
        assertThat(WebhookTls.qualified(settings.secret(), "default")).containsExactly("sluice-system", "sluice-webhook-tls");
        assertThat(settings.configurations()).containsExactly("team-sluice-jobs", "team-sluice-job-updates");
        assertThat(OperatorSettings.parse(new String[0], Map.of()).webhook().configurations()).containsExactly("sluice-jobs", "sluice-job-updates");
    }

    @Test
    void badValuesNameTheFlag() {
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-configurations= , "}, Map.of()))
                .hasMessage("--webhook-configurations must name at least one webhook configuration, got ' , '");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-configurations=sluice-jobs,Sluice_Updates"}, Map.of()))
                .hasMessageContaining("--webhook-configurations: 'Sluice_Updates' is not a Kubernetes object name");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-service=sluice/webhook:https"}, Map.of()))
                .hasMessage("--webhook-service's port 'https' is not a port (0-65535)");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-service=a/b/c"}, Map.of()))
                .hasMessageContaining("--webhook-service must be namespace/name[:port] or name[:port]");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-secret=sluice/"}, Map.of()))
                .hasMessageContaining("--webhook-secret must be namespace/name or name");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-port=99999"}, Map.of())).hasMessageContaining("--webhook-port");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook-url=http://x"}, Map.of())).hasMessageContaining("https://");
        assertThatThrownBy(() -> OperatorSettings.parse(new String[] {"--webhook=maybe"}, Map.of())).hasMessageContaining("--webhook must be");
    }
}
