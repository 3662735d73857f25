package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * TLS to Redis. {@code caFile} is a PEM bundle of the authorities to trust (default: the JVM's);
 * {@code certFile} and {@code keyFile} (PEM, PKCS#8 key) are the client's certificate when Redis
 * requires one ({@code tls-auth-clients yes}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RedisTlsConfig(Boolean enabled, String caFile, String certFile, String keyFile, TlsVerify verify) {
    public RedisTlsConfig {
        enabled = enabled == null || enabled;
        verify = verify == null ? TlsVerify.Full : verify;
    }
}
