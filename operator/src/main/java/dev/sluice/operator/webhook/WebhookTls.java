package dev.sluice.operator.webhook;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the webhook's certificate comes from: files that cert-manager provides, or a self-signed CA
 * and certificate kept in a Secret, so that a restarted operator and every replica present the same
 * CA. A stored certificate that does not name the current hosts, or ends within 30 days, is replaced;
 * two replicas replacing it at once settle on whichever wrote first (resourceVersion precondition).
 */
public final class WebhookTls {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookTls.class);
    static final String CA_KEY = "ca.crt";
    static final String CERT_KEY = "tls.crt";
    static final String KEY_KEY = "tls.key";

    private WebhookTls() {
    }

    public static WebhookCertificates load(KubernetesClient client, WebhookSettings settings, Collection<String> hosts, Clock clock) {
        if (settings.certDir() != null) {
            return fromDirectory(settings.certDir());
        }
        String[] secret = qualified(settings.secret(), client.getNamespace());
        for (int attempt = 0; attempt < 3; attempt++) {
            Secret stored = client.secrets().inNamespace(secret[0]).withName(secret[1]).get();
            if (stored != null && stored.getData() != null) {
                WebhookCertificates existing = WebhookCertificates.fromPem(decode(stored, CA_KEY), decode(stored, CERT_KEY), decode(stored, KEY_KEY));
                if (existing.usableFor(hosts, clock.instant())) {
                    return existing;
                }
            }
            WebhookCertificates created = WebhookCertificates.selfSigned(hosts, clock.instant());
            Secret desired = new SecretBuilder()
                    .withNewMetadata().withNamespace(secret[0]).withName(secret[1])
                    .withResourceVersion(stored == null ? null : stored.getMetadata().getResourceVersion())
                    .addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                    .withType("kubernetes.io/tls")
                    .withData(Map.of(CA_KEY, encode(created.caPem()), CERT_KEY, encode(created.certificatePem()), KEY_KEY, encode(created.privateKeyPem())))
                    .build();
            try {
                if (stored == null) {
                    client.secrets().inNamespace(secret[0]).resource(desired).create();
                } else {
                    client.secrets().inNamespace(secret[0]).resource(desired).update();
                }
                LOG.info("Created the webhook's self-signed CA and certificate for {} in Secret {}/{}", hosts, secret[0], secret[1]);
                return created;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw e;
                }
                // Another replica wrote it first: use theirs.
            }
        }
        throw new IllegalStateException("the webhook Secret " + settings.secret() + " kept changing; cannot settle on a certificate");
    }

    static WebhookCertificates fromDirectory(Path directory) {
        try {
            Path ca = directory.resolve(CA_KEY);
            return WebhookCertificates.fromPem(Files.exists(ca) ? Files.readString(ca) : null,
                    Files.readString(directory.resolve(CERT_KEY)), Files.readString(directory.resolve(KEY_KEY)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the webhook certificate from " + directory + " (tls.crt, tls.key)", e);
        }
    }

    /** {@code namespace/name}, or {@code name} in {@code defaultNamespace}. */
    public static String[] qualified(String value, String defaultNamespace) {
        int slash = value.indexOf('/');
        return slash < 0 ? new String[] {defaultNamespace == null ? "default" : defaultNamespace, value}
                : new String[] {value.substring(0, slash), value.substring(slash + 1)};
    }

    private static String decode(Secret secret, String key) {
        String value = secret.getData().get(key);
        return value == null ? null : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private static String encode(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
    }
}
