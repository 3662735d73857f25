package dev.sluice.benchmarks.live;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The files a throw-away kube-apiserver needs, written into one directory: a CA ({@code ca.crt}), the API server's
 * serving certificate for 127.0.0.1 and localhost ({@code apiserver.crt/key}), a client certificate of the group
 * {@code system:masters} for the benchmark and the operator ({@code admin.crt/key}), and the ServiceAccount token
 * signing key pair ({@code sa.key}, {@code sa.pub}). RSA keys, as kubeadm makes them: Fabric8 reads an RSA client key in
 * PKCS#8 PEM, not an EC one.
 */
final class LocalPki {
    static final String CA = "ca.crt";
    static final String SERVER_CERT = "apiserver.crt";
    static final String SERVER_KEY = "apiserver.key";
    static final String ADMIN_CERT = "admin.crt";
    static final String ADMIN_KEY = "admin.key";
    static final String SA_KEY = "sa.key";
    static final String SA_PUB = "sa.pub";
    private static final Duration VALIDITY = Duration.ofDays(2);
    private static final SecureRandom RANDOM = new SecureRandom();

    private LocalPki() {
    }

    /** Writes every file into {@code directory} (created if needed). */
    static void write(Path directory) {
        try {
            Files.createDirectories(directory);
            KeyPair caKeys = keyPair();
            X500Name caName = new X500Name("CN=sluice-benchmark-ca");
            X509Certificate ca = sign(caName, caName, caKeys.getPublic(), caKeys.getPrivate(), true, null, null);
            writePem(directory.resolve(CA), ca);

            KeyPair serverKeys = keyPair();
            GeneralNames hosts = new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")});
            writePem(directory.resolve(SERVER_CERT), sign(new X500Name("CN=kube-apiserver"), caName, serverKeys.getPublic(), caKeys.getPrivate(),
                    false, KeyPurposeId.id_kp_serverAuth, hosts));
            writeKey(directory.resolve(SERVER_KEY), serverKeys.getPrivate());

            KeyPair adminKeys = keyPair();
            // The API server takes O as the group: system:masters passes every authorization check, as kubeadm's admin.conf does.
            writePem(directory.resolve(ADMIN_CERT), sign(new X500Name("CN=sluice-benchmark,O=system:masters"), caName, adminKeys.getPublic(),
                    caKeys.getPrivate(), false, KeyPurposeId.id_kp_clientAuth, null));
            writeKey(directory.resolve(ADMIN_KEY), adminKeys.getPrivate());

            KeyPair saKeys = keyPair();
            writeKey(directory.resolve(SA_KEY), saKeys.getPrivate());
            writePem(directory.resolve(SA_PUB), saKeys.getPublic());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the certificates into " + directory, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the certificates: " + e, e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048, RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, X500Name issuer, PublicKey key, PrivateKey issuerKey, boolean ca,
                                        KeyPurposeId purpose, GeneralNames hosts)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).abs(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), subject, key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        }
        if (hosts != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, hosts);
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    }

    private static void writePem(Path file, Object value) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(value);
        }
        Files.writeString(file, text.toString());
    }

    private static void writeKey(Path file, PrivateKey key) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        }
        Files.writeString(file, text.toString());
    }
}
