package dev.sluice.operator.webhook;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
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
 * The webhook's TLS material: a serving certificate and key, and the CA bundle the API server trusts
 * it by (the webhook configurations' {@code caBundle}). {@link #selfSigned} makes a new CA and a
 * serving certificate for the given host names and addresses with BouncyCastle (ECDSA P-256);
 * {@link #renewed} reissues the serving certificate with the same CA, so that the bundle does not
 * change, and only when the CA itself is too close to its end makes a new one, keeping the old one in
 * the bundle while it is valid so that certificates it signed stay trusted. {@link #fromPem} reads a
 * pair that cert-manager (or anyone) provides, without a CA key.
 *
 * @param caPem the CA bundle: the CA that signs the serving certificate first, then older ones still
 *     trusted; null when the provider gives none
 * @param caKeyPem the key of the bundle's first CA, or null when the operator does not issue certificates
 */
public record WebhookCertificates(String caPem, String caKeyPem, String certificatePem, String privateKeyPem) {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration SERVING_VALIDITY = Duration.ofDays(365);
    /** A serving certificate this close to its end is replaced. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final X500Name CA_NAME = new X500Name("CN=sluice-webhook-ca");

    public static WebhookCertificates selfSigned(Collection<String> hosts, Instant now) {
        Authority ca = Authority.create(now);
        return ca.issue(pem(ca.certificate()), hosts, now);
    }

    public static WebhookCertificates fromPem(String caPem, String certificatePem, String privateKeyPem) {
        return new WebhookCertificates(caPem, null, certificatePem, privateKeyPem);
    }

    /**
     * This material while it is {@link #usableFor} the hosts; otherwise a new serving certificate, signed
     * by the same CA when that CA's key is known and the CA outlives the new certificate, else by a new
     * CA put first in the bundle ahead of the old ones still valid.
     */
    public WebhookCertificates renewed(Collection<String> hosts, Instant now) {
        if (usableFor(hosts, now)) {
            return this;
        }
        Authority same = Authority.read(caPem, caKeyPem);
        if (same != null && !same.certificate().getNotAfter().toInstant().isBefore(now.plus(SERVING_VALIDITY))) {
            return same.issue(stillValid(caPem, now), hosts, now);
        }
        Authority next = Authority.create(now);
        return next.issue(pem(next.certificate()) + stillValid(caPem, now), hosts, now);
    }

    /** The CAs of a bundle that have not expired, as given when none has; empty when there are none. */
    private static String stillValid(String bundle, Instant now) {
        List<X509Certificate> all = certificatesOrNone(bundle);
        List<X509Certificate> valid = all.stream().filter(ca -> ca.getNotAfter().toInstant().isAfter(now)).toList();
        if (!valid.isEmpty() && valid.size() == all.size()) {
            return bundle;
        }
        StringBuilder pem = new StringBuilder();
        valid.forEach(ca -> pem.append(pem(ca)));
        return pem.toString();
    }

    /** Whether the serving certificate names every host, stays valid beyond {@link #RENEW_BEFORE}, and a CA comes with it. */
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

    /** The serving certificate. */
    public X509Certificate serving() {
        try {
            return certificate(certificatePem);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the webhook's serving certificate cannot be read: " + e.getMessage(), e);
        }
    }

    /** Whether {@code bundlePem} (a caBundle, PEM) holds the CA that signed the serving certificate: an API server with it trusts this material. */
    public boolean trustedBy(String bundlePem) {
        if (bundlePem == null || caPem == null) {
            return false;
        }
        List<X509Certificate> ours = certificatesOrNone(caPem);
        return !ours.isEmpty() && certificatesOrNone(bundlePem).contains(ours.get(0));
    }

    /** The chain the server presents: the serving certificate, the chain that came with it, and the signing CA. */
    X509Certificate[] chain() {
        try {
            List<X509Certificate> chain = new ArrayList<>(certificates(certificatePem));
            List<X509Certificate> cas = certificatesOrNone(caPem);
            if (!cas.isEmpty() && !chain.contains(cas.get(0))) {
                chain.add(cas.get(0));
            }
            return chain.toArray(X509Certificate[]::new);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot use the webhook certificate: " + e.getMessage(), e);
        }
    }

    /** The serving certificate's private key. */
    PrivateKey key() {
        try {
            return privateKey(privateKeyPem);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot use the webhook certificate's key: " + e.getMessage(), e);
        }
    }

    /** A CA and its key, which issues serving certificates. */
    private record Authority(X509Certificate certificate, PrivateKey key) {
        static Authority create(Instant now) {
            try {
                KeyPair keys = keyPair();
                X509Certificate ca = sign(new JcaX509v3CertificateBuilder(CA_NAME, serial(), Date.from(now.minus(Duration.ofHours(1))),
                        Date.from(now.plus(CA_VALIDITY)), CA_NAME, keys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                        .addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic())),
                        keys.getPrivate());
                return new Authority(ca, keys.getPrivate());
            } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
                throw new IllegalStateException("cannot create the webhook's CA", e);
            }
        }

        /** The bundle's first CA with its key, or null when the key is missing or is not that CA's. */
        static Authority read(String caPem, String caKeyPem) {
            if (caKeyPem == null) {
                return null;
            }
            try {
                X509Certificate ca = WebhookCertificates.certificate(caPem);
                PrivateKey key = privateKey(caKeyPem);
                // A key whose signatures the certificate's public key does not verify is not its key.
                byte[] message = "sluice".getBytes(StandardCharsets.UTF_8);
                Signature signer = Signature.getInstance("SHA256withECDSA");
                signer.initSign(key);
                signer.update(message);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance("SHA256withECDSA");
                verifier.initVerify(ca.getPublicKey());
                verifier.update(message);
                return verifier.verify(signature) ? new Authority(ca, key) : null;
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                return null;
            }
        }

        WebhookCertificates issue(String bundle, Collection<String> hosts, Instant now) {
            try {
                KeyPair servingKeys = keyPair();
                List<GeneralName> names = new ArrayList<>();
                for (String host : new TreeSet<>(hosts)) {
                    names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host) : new GeneralName(GeneralName.dNSName, host));
                }
                Instant end = now.plus(SERVING_VALIDITY);
                if (certificate.getNotAfter().toInstant().isBefore(end)) {
                    end = certificate.getNotAfter().toInstant();
                }
                X509Certificate serving = sign(new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minus(Duration.ofHours(1))),
                        Date.from(end), new X500Name("CN=sluice-webhook"), servingKeys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                        .addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate)),
                        key);
                return new WebhookCertificates(bundle, pem(new JcaPKCS8Generator(key, null)), pem(serving),
                        pem(new JcaPKCS8Generator(servingKeys.getPrivate(), null)));
            } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
                throw new IllegalStateException("cannot create the webhook's serving certificate", e);
            }
        }
    }

    static X509Certificate certificate(String pem) throws IOException, GeneralSecurityException {
        return certificates(pem).get(0);
    }

    /** Every certificate of a PEM text, in order; at least one. */
    static List<X509Certificate> certificates(String pem) throws IOException, GeneralSecurityException {
        if (pem == null) {
            throw new GeneralSecurityException("no PEM certificate");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (!(object instanceof X509CertificateHolder holder)) {
                    throw new GeneralSecurityException("not a PEM certificate: " + object.getClass().getSimpleName());
                }
                certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        }
        if (certificates.isEmpty()) {
            throw new GeneralSecurityException("not a PEM certificate");
        }
        return certificates;
    }

    private static List<X509Certificate> certificatesOrNone(String pem) {
        try {
            return certificates(pem);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return List.of();
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
