package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.MovableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook's certificate renewed while it runs, against the mock API server on a clock the test
 * moves: the renewed certificate is stored in the Secret and served by the running server (a real
 * TLS handshake shows it), the configurations' caBundle is written (only it) and rewritten when the CA
 * changes, a missing configuration keeps the replica unready, and cert-manager's files are reloaded.
 * Each round is run by the test, as the scheduler would.
 */
@EnableKubernetesMockClient(crud = true)
class CertificateRotationIT {
    private static final String NS = "sluice-system";
    private static final List<String> HOSTS = List.of("127.0.0.1", "localhost");
    private static final Duration DUE = WebhookCertificates.SERVING_VALIDITY.minus(WebhookCertificates.RENEW_BEFORE).plusDays(1);
    static KubernetesClient client;
    private final MovableClock clock = new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private CertificateRotation rotation;
    private WebhookServer server;

    @BeforeEach
    void configurations() {
        createMutating();
        createValidating();
    }

    private static void createMutating() {
        client.resource(new MutatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-jobs").endMetadata()
                .addNewWebhook().withName("jobs.sluice.dev").withNewClientConfig().withNewService().withNamespace(NS).withName("webhook")
                .withPath("/jobs/mutate").endService().endClientConfig().withAdmissionReviewVersions("v1").withSideEffects("None").endWebhook()
                .build()).create();
    }

    private static void createValidating() {
        client.resource(new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-job-updates").endMetadata()
                .addNewWebhook().withName("job-updates.sluice.dev").withFailurePolicy("Fail").withNewClientConfig().withNewService()
                .withNamespace(NS).withName("webhook").withPath("/jobs/validate").endService().endClientConfig()
                .withAdmissionReviewVersions("v1").withSideEffects("None").endWebhook()
                .addNewWebhook().withName("second.sluice.dev").withNewClientConfig().withUrl("https://127.0.0.1:9443/x").endClientConfig()
                .withAdmissionReviewVersions("v1").withSideEffects("None").endWebhook()
                .build()).create();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (rotation != null) {
            rotation.close();
        }
        client.admissionRegistration().v1().mutatingWebhookConfigurations().delete();
        client.admissionRegistration().v1().validatingWebhookConfigurations().delete();
        client.secrets().inNamespace(NS).delete();
    }

    @Test
    void theServingCertificateIsRenewedWhileItRunsKeepingTheCaAndTheCaBundle() throws Exception {
        start(settings());
        WebhookCertificates first = stored();
        assertThat(rotation.notReady()).isNull();
        assertThat(caBundles()).containsOnly(first.caPem());
        X509Certificate served = handshake(first.caPem());
        assertThat(served).isEqualTo(first.serving());
        ValidatingWebhookConfiguration updates = client.admissionRegistration().v1().validatingWebhookConfigurations()
                .withName("sluice-job-updates").get();
        assertThat(updates.getWebhooks().get(0).getFailurePolicy()).as("only the caBundle is written").isEqualTo("Fail");
        assertThat(updates.getWebhooks().get(1).getClientConfig().getUrl()).isEqualTo("https://127.0.0.1:9443/x");

        clock.advance(Duration.ofDays(100));
        rotation.round();
        assertThat(stored()).as("not due yet").isEqualTo(first);

        clock.advance(DUE.minusDays(100));
        rotation.round();

        WebhookCertificates renewed = stored();
        assertThat(renewed.serving().getSerialNumber()).isNotEqualTo(first.serving().getSerialNumber());
        assertThat(renewed.caPem()).isEqualTo(first.caPem());
        assertThat(caBundles()).containsOnly(first.caPem());
        X509Certificate now = handshake(first.caPem());
        assertThat(now).as("the running server presents the renewed certificate").isEqualTo(renewed.serving());
        assertThat(now.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(WebhookCertificates.SERVING_VALIDITY));
        assertThat(rotation.notReady()).isNull();
    }

    @Test
    void aNewCaIsWrittenIntoTheCaBundleAndServedOnceTheConfigurationsTrustIt() throws Exception {
        start(settings());
        WebhookCertificates first = stored();

        clock.advance(WebhookCertificates.CA_VALIDITY.minus(WebhookCertificates.SERVING_VALIDITY).plusDays(1));
        rotation.round();

        WebhookCertificates rolled = stored();
        assertThat(rolled.caPem()).isNotEqualTo(first.caPem()).endsWith(first.caPem());
        assertThat(caBundles()).containsOnly(rolled.caPem());
        assertThat(handshake(rolled.caPem())).isEqualTo(rolled.serving());
        assertThat(rotation.notReady()).isNull();
    }

    @Test
    void aCertificateAnotherReplicaRenewedIsServedAtTheNextRound() throws Exception {
        start(settings());
        WebhookCertificates first = stored();
        Secret secret = client.secrets().inNamespace(NS).withName("sluice-webhook-tls").get();
        WebhookCertificates theirs = first.renewed(HOSTS, clock.instant().plus(DUE));
        client.resource(new SecretBuilder(secret).addToData(WebhookTls.CERT_KEY, encode(theirs.certificatePem()))
                .addToData(WebhookTls.KEY_KEY, encode(theirs.privateKeyPem())).build()).update();

        rotation.round();

        assertThat(handshake(first.caPem())).isEqualTo(theirs.serving());
    }

    @Test
    void aMissingConfigurationKeepsTheReplicaUnreadyUntilItIsInstalled() throws Exception {
        client.admissionRegistration().v1().validatingWebhookConfigurations().withName("sluice-job-updates").delete();
        start(settings());

        assertThat(rotation.notReady()).isEqualTo("webhook configurations not found: sluice-job-updates");
        assertThat(client.admissionRegistration().v1().mutatingWebhookConfigurations().withName("sluice-jobs").get().getWebhooks().get(0)
                .getClientConfig().getCaBundle()).as("the one there is written").isEqualTo(encode(stored().caPem()));

        createValidating();
        rotation.round();

        assertThat(rotation.notReady()).isNull();
        assertThat(caBundles()).containsOnly(stored().caPem());
    }

    @Test
    void certManagersFilesAreReloadedWhenTheyChangeAndNoConfigurationIsWritten(@TempDir Path directory) throws Exception {
        WebhookCertificates issued = WebhookCertificates.selfSigned(HOSTS, clock.instant());
        write(directory, issued);
        start(new WebhookSettings(true, "127.0.0.1", 0, null, null, directory, "unused", List.of("sluice-jobs", "sluice-job-updates")));

        assertThat(rotation.notReady()).isNull();
        assertThat(handshake(issued.caPem())).isEqualTo(issued.serving());
        assertThat(caBundles()).containsOnly((String) null);

        WebhookCertificates reissued = WebhookCertificates.selfSigned(HOSTS, clock.instant());
        write(directory, reissued);
        clock.advance(CertificateRotation.CHECK_EVERY);
        rotation.round();

        assertThat(handshake(reissued.caPem())).isEqualTo(reissued.serving());
        assertThat(caBundles()).containsOnly((String) null);
        assertThat(client.secrets().inNamespace(NS).list().getItems()).isEmpty();
    }

    private void start(WebhookSettings settings) throws Exception {
        WebhookTls tls = WebhookTls.of(client, settings, HOSTS, clock);
        rotation = CertificateRotation.load(tls, tls.ownCa() ? new WebhookConfigurations(client, settings.configurations()) : null, clock);
        server = WebhookServer.start("127.0.0.1", 0, rotation.keys().sslContext(), Map.of("/jobs/mutate", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        }));
        rotation.round();
    }

    private static WebhookSettings settings() {
        return WebhookSettings.loopback(NS + "/sluice-webhook-tls", List.of("sluice-jobs", "sluice-job-updates"));
    }

    /** The material in the Secret. */
    private static WebhookCertificates stored() {
        Secret secret = client.secrets().inNamespace(NS).withName("sluice-webhook-tls").get();
        return new WebhookCertificates(decode(secret, WebhookTls.CA_KEY), decode(secret, WebhookTls.CA_KEY_KEY),
                decode(secret, WebhookTls.CERT_KEY), decode(secret, WebhookTls.KEY_KEY));
    }

    /** The caBundle of every webhook of both configurations (PEM; null when it has none). */
    private static List<String> caBundles() {
        MutatingWebhookConfiguration jobs = client.admissionRegistration().v1().mutatingWebhookConfigurations().withName("sluice-jobs").get();
        ValidatingWebhookConfiguration updates = client.admissionRegistration().v1().validatingWebhookConfigurations()
                .withName("sluice-job-updates").get();
        return java.util.stream.Stream.concat(
                jobs.getWebhooks().stream().map(webhook -> webhook.getClientConfig().getCaBundle()),
                updates.getWebhooks().stream().map(webhook -> webhook.getClientConfig().getCaBundle()))
                .map(bundle -> bundle == null ? null : new String(Base64.getDecoder().decode(bundle), StandardCharsets.UTF_8))
                .toList();
    }

    /**
     * A fresh TLS handshake with the server: the certificate it presents, after checking that a CA of
     * {@code caPem} signed it (not its dates: the test's clock is not the handshake's).
     */
    private X509Certificate handshake(String caPem) throws Exception {
        AtomicReference<X509Certificate[]> presented = new AtomicReference<>();
        X509TrustManager recording = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("no client certificates here");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                presented.set(chain);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {recording}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            socket.startHandshake();
        }
        X509Certificate leaf = presented.get()[0];
        List<X509Certificate> cas = WebhookCertificates.certificates(caPem);
        assertThat(cas).as("a CA of the bundle signed the presented certificate").anySatisfy(ca -> leaf.verify(ca.getPublicKey()));
        return leaf;
    }

    private static void write(Path directory, WebhookCertificates certificates) throws Exception {
        Files.writeString(directory.resolve("ca.crt"), certificates.caPem());
        Files.writeString(directory.resolve("tls.crt"), certificates.certificatePem());
        Files.writeString(directory.resolve("tls.key"), certificates.privateKeyPem());
    }

    private static String decode(Secret secret, String key) {
        String value = secret.getData().get(key);
        return value == null ? null : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private static String encode(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
    }
}
