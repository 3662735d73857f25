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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the webhook's certificate comes from, read afresh at each {@link #current()}: files that
 * cert-manager provides (and renews), or the operator's own CA and certificate kept in a Secret, so
 * that a restarted operator and every replica present the same CA. A stored certificate that does not
 * name the current hosts, or ends within {@link WebhookCertificates#RENEW_BEFORE}, is renewed
 * ({@link WebhookCertificates#renewed}) and stored; replicas renewing at once settle on whichever
 * wrote first (resourceVersion precondition).
 */
public final class WebhookTls {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookTls.class);
    static final String CA_KEY = "ca.crt";
    /** The key of the first CA in {@code ca.crt}: kept so that renewing the serving certificate keeps the CA, and the caBundle with it. */
    static final String CA_KEY_KEY = "ca.key";
    static final String CERT_KEY = "tls.crt";
    static final String KEY_KEY = "tls.key";
    private static final int ATTEMPTS = 3;

    private final KubernetesClient client;
    private final String[] secret;
    private final Collection<String> hosts;
    private final Clock clock;
    private final Path directory;

    private WebhookTls(KubernetesClient client, String[] secret, Collection<String> hosts, Clock clock, Path directory) {
        this.client = client;
        this.secret = secret;
        this.hosts = List.copyOf(hosts);
        this.clock = clock;
        this.directory = directory;
    }

    /** From {@code --webhook-cert-dir} when set, else from the Secret {@code --webhook-secret}. */
    public static WebhookTls of(KubernetesClient client, WebhookSettings settings, Collection<String> hosts, Clock clock) {
        if (settings.certDir() != null) {
            return new WebhookTls(null, null, hosts, clock, settings.certDir());
        }
        return new WebhookTls(client, qualified(settings.secret(), client.getNamespace()), hosts, clock, null);
    }

    /** Whether the operator issues the certificates itself (and so writes the caBundle): not with a certificate directory. */
    public boolean ownCa() {
        return directory == null;
    }

    /** Where the material comes from, for messages. */
    public String source() {
        return directory != null ? "directory " + directory : "Secret " + secret[0] + "/" + secret[1];
    }

    /** The material as its source holds it now; in the Secret, created or renewed first when needed. */
    public WebhookCertificates current() {
        return directory != null ? fromDirectory(directory) : fromSecret();
    }

    private WebhookCertificates fromSecret() {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Secret stored = client.secrets().inNamespace(secret[0]).withName(secret[1]).get();
            WebhookCertificates existing = stored == null || stored.getData() == null ? null : WebhookCertificates.fromPem(
                    decode(stored, CA_KEY), decode(stored, CERT_KEY), decode(stored, KEY_KEY));
            if (existing != null) {
                existing = new WebhookCertificates(existing.caPem(), decode(stored, CA_KEY_KEY), existing.certificatePem(), existing.privateKeyPem());
            }
            WebhookCertificates desired = existing == null ? WebhookCertificates.selfSigned(hosts, clock.instant())
                    : existing.renewed(hosts, clock.instant());
            if (desired.equals(existing)) {
                return existing;
            }
            Map<String, String> data = new LinkedHashMap<>();
            data.put(CA_KEY, encode(desired.caPem()));
            data.put(CA_KEY_KEY, encode(desired.caKeyPem()));
            data.put(CERT_KEY, encode(desired.certificatePem()));
            data.put(KEY_KEY, encode(desired.privateKeyPem()));
            Secret next = new SecretBuilder()
                    .withNewMetadata().withNamespace(secret[0]).withName(secret[1])
                    .withResourceVersion(stored == null ? null : stored.getMetadata().getResourceVersion())
                    .addToLabels("app.kubernetes.io/managed-by", "sluice").endMetadata()
                    .withType("kubernetes.io/tls")
                    .withData(data)
                    .build();
            try {
                if (stored == null) {
                    client.secrets().inNamespace(secret[0]).resource(next).create();
                } else {
                    client.secrets().inNamespace(secret[0]).resource(next).update();
                }
                boolean sameCa = existing != null && existing.caPem() != null && existing.caPem().equals(desired.caPem());
                LOG.info("{} the webhook's serving certificate for {} (valid until {}{}) in Secret {}/{}", existing == null ? "Created" : "Renewed",
                        hosts, desired.serving().getNotAfter().toInstant(), sameCa ? ", same CA" : ", with a new CA", secret[0], secret[1]);
                return desired;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw e;
                }
                // Another replica wrote it first: read theirs.
            }
        }
        throw new IllegalStateException("the webhook Secret " + secret[0] + "/" + secret[1] + " kept changing; cannot settle on a certificate");
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
