package dev.sluice.operator.webhook;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The webhook's TLS material: a serving certificate and key, and the CA certificate that the API
 * server trusts it by (the webhook configuration's {@code caBundle}). {@link #selfSigned} makes a
 * new CA and a serving certificate for the given host names and addresses with BouncyCastle
 * (ECDSA P-256); {@link #fromPem} reads a pair that cert-manager (or anyone) provides.
 */
public record WebhookCertificates(String caPem, String certificatePem, String privateKeyPem) {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration SERVING_VALIDITY = Duration.ofDays(365);
    /** A stored certificate this close to its end is replaced. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    public static WebhookCertificates selfSigned(Collection<String> hosts, Instant now) {
        try {
            KeyPair caKeys = keyPair();
            X500Name caName = new X500Name("CN=sluice-webhook-ca");
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(CA_VALIDITY)), caName, caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(caKeys.getPublic())),
                    caKeys.getPrivate());

            KeyPair servingKeys = keyPair();
            List<GeneralName> names = new ArrayList<>();
            for (String host : new TreeSet<>(hosts)) {
                names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host) : new GeneralName(GeneralName.dNSName, host));
            }
            X509Certificate serving = sign(new JcaX509v3CertificateBuilder(ca, serial(), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(SERVING_VALIDITY)), new X500Name("CN=sluice-webhook"), servingKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(ca)),
                    caKeys.getPrivate());
            return new WebhookCertificates(pem(ca), pem(serving), pem(new JcaPKCS8Generator(servingKeys.getPrivate(), null)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create the webhook certificate", e);
        }
    }

    public static WebhookCertificates fromPem(String caPem, String certificatePem, String privateKeyPem) {
        return new WebhookCertificates(caPem, certificatePem, privateKeyPem);
    }

    /** Whether the serving certificate names every host and stays valid beyond {@link #RENEW_BEFORE}. */
    public boolean usableFor(Collection<String> hosts, Instant now) {
        try {
            X509Certificate serving = certificate(certificatePem);
            if (serving.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
                return false;
            }
            Set<String> named = new TreeSet<>();
            Collection<List<?>> alternatives = serving.getSubjectAlternativeNames();
            if (alternatives != null) {
                alternatives.forEach(entry -> named.add(String.valueOf(entry.get(1))));
            }
            for (String host : hosts) {
                if (!named.contains(host) && !(isAddress(host) && named.contains(InetAddress.getByName(host).getHostAddress()))) {
                    return false;
                }
            }
            return caPem != null && !caPem.isBlank();
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return false;
        }
    }

    /** A server-side TLS context presenting the serving certificate (and the CA after it, as a chain). */
    public SSLContext sslContext() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = "sluice".toCharArray();
            store.setKeyEntry("webhook", privateKey(privateKeyPem), password,
                    new java.security.cert.Certificate[] {certificate(certificatePem), certificate(caPem)});
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot use the webhook certificate", e);
        }
    }

    static X509Certificate certificate(String pem) throws IOException, GeneralSecurityException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new GeneralSecurityException("not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        }
    }

    static PrivateKey privateKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IOException("not a PEM private key");
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom());
    }

    private static String pem(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    static boolean isAddress(String host) {
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            return false;
        }
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
