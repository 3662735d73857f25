package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class MainTest {
    @TempDir
    Path directory;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void anInvalidConfigAtStartUpExitsNonZeroNamingTheField() throws Exception {
        Path config = write("""
                policies:
                  - name: api
                    rules:
                      - name: r
                        limits: [{requests: 10, period: 10 seconds}]
                """);

        int exit = run("--config", config.toString(), "--upstream", "http://127.0.0.1:9", "--port", "0", "--admin-port", "0");

        assertThat(exit).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(err()).contains("invalid configuration").contains("policies[0].rules[0].limits[0].period: '10 seconds' is not a period");
    }

    @Test
    void checkValidatesWithoutStarting() throws Exception {
        assertThat(run("--check", "--config", write("policies: []\n").toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("valid");
        assertThat(run("--check", "--config", write("policies: [{name: x, rules: []}]\n").toString())).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(err()).contains("policies[0].rules: must have at least one rule");
    }

    @Test
    void checkSaysWhatADocumentOfANewerFormatWouldBeEnforcedWithout() throws Exception {
        Path config = write("version: 2\npolicies: [{name: x, newKnob: 1, rules: [{name: r, limits: [{requests: 1, period: 1s}]}]}]\n");

        assertThat(run("--check", "--config", config.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(": valid")
                .contains("document version 2 is newer than 1, the newest this sidecar reads: it would be enforced without policies[0].newKnob");
    }

    @Test
    void versionNamesTheBuildAndTheNewestDocumentVersionItReads() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("sluice-sidecar dev (reads document versions up to 1)\n");
    }

    @Test
    void checkCatchesMissingFilesThatAStartWouldFailOn() throws Exception {
        Path config = write(globalPolicy("""
                passwordFile: %s
                  tls: {caFile: %s}""".formatted(directory.resolve("no-password"), directory.resolve("no-ca.crt"))));

        assertThat(run("--check", "--config", config.toString())).isEqualTo(Main.EXIT_INVALID_CONFIG);

        assertThat(err()).contains("redis.passwordFile: cannot read " + directory.resolve("no-password"))
                .contains("redis.tls.caFile: cannot read " + directory.resolve("no-ca.crt"));
    }

    @Test
    void checkCatchesAClientKeyThatCannotBeLoaded() throws Exception {
        Path key = directory.resolve("client.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
        Path config = write(globalPolicy("tls: {caFile: %s, certFile: %s, keyFile: %s}".formatted(resource("tls/client.crt"),
                resource("tls/client.crt"), key)));

        assertThat(run("--check", "--config", config.toString())).isEqualTo(Main.EXIT_INVALID_CONFIG);

        assertThat(err()).contains("redis.tls.keyFile: cannot load the client key " + key);
    }

    @Test
    void checkAcceptsReadableTlsFiles() throws Exception {
        Path config = write(globalPolicy("tls: {caFile: %s, certFile: %s, keyFile: %s}".formatted(resource("tls/client.crt"),
                resource("tls/client.crt"), resource("tls/client.key"))));

        assertThat(run("--check", "--config", config.toString())).as(err()).isZero();
    }

    @Test
    void aStartWithAMissingCaFileExitsAsInvalidNamingTheField() throws Exception {
        Path config = write(globalPolicy("tls: {caFile: %s}".formatted(directory.resolve("no-ca.crt"))));

        int exit = run("--config", config.toString(), "--upstream", "http://127.0.0.1:9", "--port", "0", "--admin-port", "0",
                "--bind", "127.0.0.1");

        assertThat(exit).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(err()).contains("redis.tls.caFile: cannot read " + directory.resolve("no-ca.crt"));
    }

    /** A Global policy and a {@code redis} section (nothing listens there) with {@code extra} under it. */
    private static String globalPolicy(String extra) {
        return """
                redis:
                  addresses: ['127.0.0.1:1']
                  %s
                policies:
                  - name: shared
                    scope: Global
                    rules: [{name: all, limits: [{requests: 10, period: 1s}]}]
                """.formatted(extra);
    }

    private static Path resource(String name) throws Exception {
        return Path.of(MainTest.class.getResource("/" + name).toURI());
    }

    @Test
    void usageErrorsNameTheOption() throws Exception {
        assertThat(run("--config", write("policies: []\n").toString())).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("--upstream (or SLUICE_UPSTREAM) is required");
        assertThat(run("--config", "c.yaml", "--upstream", "ftp://x")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("--upstream 'ftp://x' must be an http://, https:// or h2c:// URL");
        assertThat(run("--config", "c.yaml", "--upstream", "http://x", "--port", "70000")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("--port '70000' is not a port");
        assertThat(run("--config", "c.yaml", "--upstream", "http://x", "--colour", "blue")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("unknown option --colour");
    }

    @Test
    void environmentVariablesStandInForFlags() throws Exception {
        Path config = write("policies: [{name: x, rules: []}]\n");

        int exit = Main.run(new String[0], Map.of("SLUICE_CONFIG", config.toString(), "SLUICE_UPSTREAM", "http://127.0.0.1:9",
                "SLUICE_PORT", "0", "SLUICE_ADMIN_PORT", "0", "SLUICE_BIND_ADDRESS", "127.0.0.1"), print(out), print(err));

        assertThat(exit).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(err()).contains(config.toString());
    }

    @Test
    void theLogLevelSetsTheRootLevelAndAMisspeltOneIsAUsageError() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        Path invalid = write("policies: [{name: x, rules: []}]\n");
        String[] start = {"--config", invalid.toString(), "--upstream", "http://127.0.0.1:9", "--port", "0", "--admin-port", "0",
                "--bind", "127.0.0.1"};
        try {
            // The level is set before the configuration is read: an invalid one is reported at that level.
            assertThat(Main.run(start, Map.of("SLUICE_LOG_LEVEL", "wArN"), print(out), print(err))).isEqualTo(Main.EXIT_INVALID_CONFIG);
            assertThat(root.getLevel()).isEqualTo(Level.WARN);
            String[] withFlag = java.util.stream.Stream.concat(java.util.Arrays.stream(start), java.util.stream.Stream.of("--log-level", "error"))
                    .toArray(String[]::new);
            assertThat(Main.run(withFlag, Map.of("SLUICE_LOG_LEVEL", "trace"), print(out), print(err))).isEqualTo(Main.EXIT_INVALID_CONFIG);
            assertThat(root.getLevel()).isEqualTo(Level.ERROR);

            assertThat(Main.run(start, Map.of("SLUICE_LOG_LEVEL", "loud"), print(out), print(err))).isEqualTo(Main.EXIT_USAGE);
            assertThat(err()).contains("--log-level must be trace, debug, info, warn or error (any case), got 'loud'");
            assertThat(root.getLevel()).as("unchanged by a refused level").isEqualTo(Level.ERROR);
        } finally {
            root.setLevel(before);
        }
    }

    private int run(String... args) {
        return Main.run(args, Map.of(), print(out), print(err));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream print(ByteArrayOutputStream stream) {
        return new PrintStream(stream, true, StandardCharsets.UTF_8);
    }

    private Path write(String config) throws Exception {
        Path file = Files.createTempFile(directory, "config", ".yaml");
        Files.writeString(file, config);
        return file;
    }
}
