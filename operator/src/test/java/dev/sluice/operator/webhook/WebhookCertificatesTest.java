package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookCertificatesTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final List<String> HOSTS = List.of("127.0.0.1", "localhost", "sluice-operator-webhook.sluice.svc");

    @Test
    void aSelfSignedCertificateNamesItsHostsAndIsRenewedBeforeItEnds() {
        WebhookCertificates certificates = WebhookCertificates.selfSigned(HOSTS, NOW);

        assertThat(certificates.caPem()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(certificates.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(certificates.usableFor(HOSTS, NOW)).isTrue();
        assertThat(certificates.usableFor(List.of("other.example.com"), NOW)).isFalse();
        assertThat(certificates.usableFor(HOSTS, NOW.plus(WebhookCertificates.SERVING_VALIDITY).minus(Duration.ofDays(29)))).isFalse();
    }

    @Test
    void aClientTrustingOnlyTheCaReachesTheServerOverTls() throws Exception {
        WebhookCertificates certificates = WebhookCertificates.selfSigned(HOSTS, Instant.now());
        try (WebhookServer server = WebhookServer.start("127.0.0.1", 0, new ServingKeys(certificates).sslContext(), Map.of("/jobs/mutate", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }))) {
            HttpClient client = HttpClient.newBuilder().sslContext(TrustingCa.of(certificates.caPem())).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/jobs/mutate"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
        }
    }

    @Test
    void renewingTheServingCertificateKeepsTheCaSoTheCaBundleStaysAsItIs() throws Exception {
        WebhookCertificates first = WebhookCertificates.selfSigned(HOSTS, NOW);
        Instant due = NOW.plus(WebhookCertificates.SERVING_VALIDITY).minus(WebhookCertificates.RENEW_BEFORE).plus(Duration.ofDays(1));

        assertThat(first.renewed(HOSTS, NOW.plus(Duration.ofDays(100)))).isSameAs(first);
        WebhookCertificates renewed = first.renewed(HOSTS, due);

        assertThat(renewed.caPem()).isEqualTo(first.caPem());
        assertThat(renewed.caKeyPem()).isEqualTo(first.caKeyPem());
        assertThat(renewed.serving().getSerialNumber()).isNotEqualTo(first.serving().getSerialNumber());
        assertThat(renewed.serving().getNotAfter().toInstant()).isEqualTo(due.plus(WebhookCertificates.SERVING_VALIDITY));
        assertThat(renewed.usableFor(HOSTS, due)).isTrue();
        assertThat(renewed.trustedBy(first.caPem())).isTrue();
        renewed.serving().verify(WebhookCertificates.certificate(first.caPem()).getPublicKey());

        List<String> moreHosts = List.of("127.0.0.1", "localhost", "sluice-webhook.other.svc");
        WebhookCertificates forNewHosts = first.renewed(moreHosts, NOW);
        assertThat(forNewHosts.caPem()).isEqualTo(first.caPem());
        assertThat(forNewHosts.usableFor(moreHosts, NOW)).isTrue();
    }

    @Test
    void aCaNearItsEndIsReplacedAndTheOldOneStaysInTheBundleWhileItIsValid() throws Exception {
        WebhookCertificates first = WebhookCertificates.selfSigned(HOSTS, NOW);
        // A serving certificate signed now would outlive the CA: a new CA signs it.
        Instant late = NOW.plus(WebhookCertificates.CA_VALIDITY).minus(WebhookCertificates.SERVING_VALIDITY).plus(Duration.ofDays(1));

        WebhookCertificates rolled = first.renewed(HOSTS, late);

        List<java.security.cert.X509Certificate> bundle = WebhookCertificates.certificates(rolled.caPem());
        assertThat(bundle).hasSize(2);
        assertThat(bundle.get(1)).isEqualTo(WebhookCertificates.certificate(first.caPem()));
        assertThat(rolled.trustedBy(first.caPem())).as("the old bundle alone does not trust the new CA's certificate").isFalse();
        assertThat(first.trustedBy(rolled.caPem())).as("the new bundle still trusts what the old CA signed").isTrue();
        rolled.serving().verify(bundle.get(0).getPublicKey());

        WebhookCertificates later = rolled.renewed(HOSTS, NOW.plus(WebhookCertificates.CA_VALIDITY).plus(Duration.ofDays(400)));
        assertThat(WebhookCertificates.certificates(later.caPem())).as("the expired CA has left the bundle").hasSize(1);
    }

    @Test
    void materialWithoutTheCaKeyGetsANewCaWhenItIsDueAndNotBefore() throws Exception {
        WebhookCertificates stored = WebhookCertificates.selfSigned(HOSTS, NOW);
        WebhookCertificates withoutKey = WebhookCertificates.fromPem(stored.caPem(), stored.certificatePem(), stored.privateKeyPem());

        assertThat(withoutKey.renewed(HOSTS, NOW)).isSameAs(withoutKey);
        WebhookCertificates renewed = withoutKey.renewed(HOSTS, NOW.plus(Duration.ofDays(340)));
        assertThat(WebhookCertificates.certificates(renewed.caPem())).hasSize(2);
        assertThat(renewed.caKeyPem()).isNotNull();

        WebhookCertificates wrongKey = new WebhookCertificates(stored.caPem(), WebhookCertificates.selfSigned(HOSTS, NOW).caKeyPem(),
                stored.certificatePem(), stored.privateKeyPem());
        assertThat(WebhookCertificates.certificates(wrongKey.renewed(HOSTS, NOW.plus(Duration.ofDays(340))).caPem()))
                .as("a CA key that is not the CA's is not used").hasSize(2);
    }

}
