package dev.sluice.sidecar.redis;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.RedisTlsConfig;
import io.lettuce.core.SslOptions;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a {@code redis} section names (password, CA bundle, client certificate and key), read
 * and parsed as the store will: a missing or unreadable one refuses the configuration, where it would
 * otherwise fail every connection attempt, or the store itself, once the configuration is in force.
 */
public final class RedisFiles {
    private RedisFiles() {
    }

    /** What is wrong with the files {@code redis} names, each error on its field under {@code path}; empty when they are usable. */
    public static List<FieldError> problems(RedisConfig redis, String path) {
        List<FieldError> errors = new ArrayList<>();
        readable(redis.passwordFile(), path + ".passwordFile", errors);
        RedisTlsConfig tls = redis.tls();
        if (tls == null || !tls.enabled()) {
            return errors;
        }
        String tlsPath = path + ".tls";
        int before = errors.size();
        certificates(tls.caFile(), tlsPath + ".caFile", errors);
        certificates(tls.certFile(), tlsPath + ".certFile", errors);
        readable(tls.keyFile(), tlsPath + ".keyFile", errors);
        if (errors.size() == before && tls.keyFile() != null) {
            // The key is parsed by building the TLS context as a connection would: Netty reads PKCS#8 PEM keys.
            try {
                sslOptions(tls).createSslContextBuilder().build();
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                errors.add(new FieldError(tlsPath + ".keyFile", "cannot load the client key " + tls.keyFile() + " with certificate "
                        + tls.certFile() + ": " + message(e)));
            }
        }
        return errors;
    }

    /** The TLS options of a connection to Redis; the files must exist (see {@link #problems}). */
    static SslOptions sslOptions(RedisTlsConfig tls) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        if (tls.caFile() != null) {
            ssl.trustManager(new File(tls.caFile()));
        }
        if (tls.certFile() != null) {
            ssl.keyManager(new File(tls.certFile()), new File(tls.keyFile()), null);
        }
        return ssl.build();
    }

    private static boolean readable(String file, String field, List<FieldError> errors) {
        if (file == null) {
            return false;
        }
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            in.read();
            return true;
        } catch (IOException e) {
            errors.add(new FieldError(field, "cannot read " + file + ": " + message(e)));
            return false;
        }
    }

    private static void certificates(String file, String field, List<FieldError> errors) {
        if (!readable(file, field, errors)) {
            return;
        }
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                errors.add(new FieldError(field, file + " holds no PEM certificate"));
            }
        } catch (IOException | CertificateException e) {
            errors.add(new FieldError(field, file + " is not a PEM certificate bundle: " + message(e)));
        }
    }

    private static String message(Exception e) {
        String simple = e.getClass().getSimpleName();
        return e.getMessage() == null ? simple : simple + " " + e.getMessage();
    }
}
