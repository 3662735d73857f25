package dev.sluice.operator.webhook;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The key material the webhook server presents, swapped while it runs: every TLS handshake asks for
 * the material in force at that moment, so a renewed certificate is served without a restart.
 *
 * <p>A handshake first chooses an alias, then asks for that alias's chain and key. The alias names
 * the material it was chosen from, and the one before stays reachable, so a handshake that straddles
 * a swap still gets a chain and a key that belong together.
 */
public final class ServingKeys extends X509ExtendedKeyManager {
    private final AtomicLong generations = new AtomicLong();
    private final AtomicReference<Served> served = new AtomicReference<>();

    /**
     * Material in force, under its alias, and the one before it.
     *
     * @param chooser the JDK's key manager over this material alone: it knows which key types the key suits
     */
    private record Served(String alias, WebhookCertificates certificates, X509Certificate[] chain, PrivateKey key,
            X509ExtendedKeyManager chooser, Served previous) {
        Served find(String wanted) {
            if (alias.equals(wanted)) {
                return this;
            }
            return previous != null && previous.alias.equals(wanted) ? previous : null;
        }

        Served withoutPrevious() {
            return new Served(alias, certificates, chain, key, chooser, null);
        }
    }

    public ServingKeys(WebhookCertificates initial) {
        serve(initial);
    }

    /** Serves {@code certificates} from the next handshake on. */
    public void serve(WebhookCertificates certificates) {
        X509Certificate[] chain = certificates.chain();
        PrivateKey key = certificates.key();
        X509ExtendedKeyManager chooser = chooser(chain, key);
        String alias = "webhook-" + generations.incrementAndGet();
        served.updateAndGet(current -> new Served(alias, certificates, chain, key, chooser, current == null ? null : current.withoutPrevious()));
    }

    /** The material served now. */
    public WebhookCertificates serving() {
        return served.get().certificates();
    }

    /** A server-side TLS context presenting whatever is served at each handshake. */
    public SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {this}, null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the webhook's TLS context", e);
        }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        Served current = served.get();
        return current.chooser().chooseEngineServerAlias(keyType, issuers, engine) == null ? null : current.alias();
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        Served current = served.get();
        return current.chooser().chooseServerAlias(keyType, issuers, socket) == null ? null : current.alias();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Served current = served.get();
        return current.chooser().getServerAliases(keyType, issuers) == null ? null : new String[] {current.alias()};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Served chosen = served.get().find(alias);
        return chosen == null ? null : chosen.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Served chosen = served.get().find(alias);
        return chosen == null ? null : chosen.key();
    }

    /** The webhook serves; it never authenticates as a client. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    private static X509ExtendedKeyManager chooser(X509Certificate[] chain, PrivateKey key) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = "sluice".toCharArray();
            store.setKeyEntry("webhook", key, password, chain);
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            for (KeyManager manager : factory.getKeyManagers()) {
                if (manager instanceof X509ExtendedKeyManager x509) {
                    return x509;
                }
            }
            throw new GeneralSecurityException("the JDK offers no X.509 key manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot use the webhook certificate: " + e.getMessage(), e);
        }
    }
}
