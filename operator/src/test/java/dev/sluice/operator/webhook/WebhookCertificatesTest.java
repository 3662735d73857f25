package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
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
        try (WebhookServer server = WebhookServer.start("127.0.0.1", 0, certificates.sslContext(), Map.of("/jobs/mutate", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }))) {
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificates.caPem())).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/jobs/mutate"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
        }
    }

    private static SSLContext trusting(String caPem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.UTF_8))));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
