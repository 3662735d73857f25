package dev.sluice.sidecar.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.limit.ManualClock;
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Global limits through Redis Cluster, Sentinel and TLS, each a real redis-server on loopback ports. */
class RedisTopologyIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    /** A per-client limit of 3 per hour, keyed by the X-Client header. */
    private static String perClient(String redis) {
        return """
                redis:
                  # Generous for a loaded test machine; production keeps the 100ms default.
                  timeout: 2s
                  %s
                policies:
                  - name: api
                    namespace: team-a
                    scope: Global
                    failureMode: Closed
                    rules:
                      - name: per-client
                        key: [{type: Header, header: X-Client}]
                        limits: [{requests: 3, period: 1h}]
                """.formatted(redis.replace("\n", "\n  "));
    }

    /** For each of {@code clients} clients, 5 requests: the first 3 pass. */
    private static void eachClientGetsItsThree(Replica replica, int clients) {
        for (int client = 0; client < clients; client++) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                statuses.add(replica.status("/", "X-Client", "client-" + client));
            }
            assertThat(statuses).as("client-%d", client).containsExactly(200, 200, 200, 429, 429);
        }
    }

    @Test
    void clusterOfThreeMastersSpreadsKeysAcrossNodes() throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(closer.keep(RedisServer.clusterNode(directory.resolve("node-" + i))));
        }
        RedisServer.createCluster(nodes);
        String seeds = nodes.stream().map(RedisServer::address).reduce((a, b) -> a + ", " + b).orElseThrow();
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"), perClient("mode: Cluster\naddresses: [" + seeds + "]"),
                new ManualClock(START), null)).awaitRedis();

        eachClientGetsItsThree(replica, 12);

        long nodesWithKeys = nodes.stream().filter(node -> !node.keys().isEmpty()).count();
        assertThat(nodesWithKeys).as("nodes holding some of the 12 clients' keys").isGreaterThanOrEqualTo(2);
        assertThat(nodes.stream().mapToLong(node -> node.keys().size()).sum()).isEqualTo(12);
    }

    @Test
    void sentinelLeadsToTheMaster() throws Exception {
        RedisServer master = closer.keep(RedisServer.start(directory.resolve("master")));
        RedisServer sentinel = closer.keep(RedisServer.sentinel(directory.resolve("sentinel"), master, "sluice-master"));
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                perClient("mode: Sentinel\naddresses: [" + sentinel.address() + "]\nsentinelMaster: sluice-master"),
                new ManualClock(START), null)).awaitRedis();

        eachClientGetsItsThree(replica, 2);

        assertThat(master.keys()).hasSize(2);
    }

    @Test
    void tlsWithTheServersAuthorityAndPassword() throws Exception {
        Path certs = Files.createDirectories(directory.resolve("certs"));
        Path cert = certs.resolve("redis.crt");
        Path key = certs.resolve("redis.key");
        selfSignedCertificate(certs, cert, key);
        RedisServer redis = closer.keep(RedisServer.startTls(directory.resolve("redis"), "--tls-cert-file", cert.toString(),
                "--tls-key-file", key.toString(), "--tls-ca-cert-file", cert.toString(), "--tls-auth-clients", "no",
                "--requirepass", "tls-s3cret"));
        Replica replica = closer.keep(Replica.start(directory.resolve("replica"),
                perClient("addresses: [" + redis.address() + "]\ntls: {caFile: " + cert + "}"),
                new ManualClock(START), RedisPassword.of("tls-s3cret"))).awaitRedis();

        eachClientGetsItsThree(replica, 2);
    }

    /** A self-signed certificate for 127.0.0.1 made with the JDK's keytool, written as PEM for redis-server. */
    private static void selfSignedCertificate(Path directory, Path cert, Path key) throws Exception {
        Path store = directory.resolve("redis.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "redis", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(store.toFile())) {
            keyStore.load(in, "changeit".toCharArray());
        }
        Certificate certificate = keyStore.getCertificate("redis");
        Key privateKey = keyStore.getKey("redis", "changeit".toCharArray());
        Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
