package dev.sluice.sidecar.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import dev.sluice.sidecar.config.ConfigWatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A sidecar watching its ConfigMap on a {@link FakeApiServer} over real TLS: the watch takes over from the mounted
 * file, changes apply as they are delivered, only forward, and the watch survives ended streams, expired
 * resourceVersions, refusals and token rotation, while the configuration in force stays.
 */
class ConfigMapWatchIT {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    /** A document of {@code generation} that lets {@code requests} requests an hour through. */
    private static String document(long generation, int requests) {
        return """
                generation: %d
                policies:
                  - name: api
                    rules:
                      - name: all
                        limits: [{requests: %d, period: 1h}]
                """.formatted(generation, requests);
    }

    private FakeApiServer api() throws Exception {
        Path files = Files.createDirectories(directory.resolve("api"));
        return closer.keep(new FakeApiServer(files));
    }

    private SidecarFixture sidecar(String file, ConfigMapWatchSettings watch) throws Exception {
        Path pod = Files.createDirectories(directory.resolve("pod"));
        return closer.keep(SidecarFixture.withClock(pod, file, START, settings -> settings.withConfigWatch(watch)));
    }

    private static JsonNode awaitConfig(SidecarFixture sidecar, Predicate<JsonNode> condition) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).until(() -> condition.test(last[0] = sidecar.adminJson("/config")));
        return last[0];
    }

    private static Predicate<JsonNode> watched(long generation) {
        return config -> "watch".equals(config.path("source").asText()) && config.path("generation").asLong() == generation;
    }

    @Test
    void theWatchTakesOverFromTheFileWhichIsNoLongerRead() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(2, 2));
        Path labels = Files.createDirectories(directory.resolve("labels")).resolve("labels");
        Files.writeString(labels, "app=\"shop\"\n");
        Path pod = Files.createDirectories(directory.resolve("pod"));
        SidecarFixture sidecar = closer.keep(SidecarFixture.withClock(pod, document(1, 1000), START,
                settings -> settings.withConfigWatch(api.settings()).withPodLabels(labels)));

        JsonNode config = awaitConfig(sidecar, watched(2));
        assertThat(config.path("configMap").path("name").asText()).isEqualTo("shop/sluice-config");
        assertThat(config.path("configMap").path("uid").asText()).isEqualTo("uid-1");
        assertThat(config.path("configMap").path("resourceVersion").asText()).isEqualTo("101");
        assertThat(sidecar.statuses(3, "/")).as("the watched document's limit of 2").isEqualTo("200 200 429");
        await().atMost(WAIT).until(() -> sidecar.adminJson("/config").path("watch").asText().equals("connected"));
        assertThat(sidecar.metric("sluice_config_watch_connected")).isEqualTo(1.0);

        // The volume catches up late, with an older or a newer document alike: neither is read any more. The labels
        // change with it, so the poll that sees the file is known to have run once the labels show.
        sidecar.writeConfig(document(3, 1000));
        Files.writeString(labels, "app=\"shop\"\ntier=\"web\"\n");
        config = awaitConfig(sidecar, c -> c.path("podLabels").path("tier").asText().equals("web"));
        assertThat(config.path("source").asText()).isEqualTo("watch");
        assertThat(config.path("generation").asLong()).as("the watched document, applied again with the new labels").isEqualTo(2);
    }

    @Test
    void changesArriveThroughTheWatchWhichResumesFromTheLastResourceVersionWhenItEnds() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(1, 1000));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(1));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);

        api.put("uid-1", document(2, 1));
        awaitConfig(sidecar, watched(2));
        assertThat(sidecar.statuses(2, "/")).isEqualTo("200 429");

        api.bookmark();
        long bookmarked = api.resourceVersion();
        api.endWatches();
        await().atMost(WAIT).until(() -> api.watchRequests().size() == 2 && api.openWatches() == 1);
        assertThat(api.watchRequests().get(1).query()).containsEntry("resourceVersion", Long.toString(bookmarked))
                .containsEntry("allowWatchBookmarks", "true");
        assertThat(api.lists()).as("an ended watch is resumed, not listed again").hasSize(1);

        api.put("uid-1", document(3, 1000));
        awaitConfig(sidecar, watched(3));
    }

    @Test
    void anExpiredResourceVersionListsAgainWithoutReapplyingTheSameDocument() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(1, 1000));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(1));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);
        double loads = sidecar.metric("sluice_config_reloads_total{result=\"success\"}");

        api.expireWatches();
        await().atMost(WAIT).until(() -> api.lists().size() == 2 && api.watchRequests().size() == 2 && api.openWatches() == 1);
        assertThat(api.watchRequests().get(1).query()).containsEntry("resourceVersion", Long.toString(api.resourceVersion()));
        assertThat(sidecar.metric("sluice_config_reloads_total{result=\"success\"}")).as("the same document, listed again").isEqualTo(loads);

        api.put("uid-1", document(2, 1000));
        awaitConfig(sidecar, watched(2));
    }

    @Test
    void onlyForwardWithinAConfigMapButARecreatedOneIsTakenWhateverItsGeneration() throws Exception {
        ListAppender<ILoggingEvent> log = log(ConfigWatcher.class);
        FakeApiServer api = api();
        api.put("uid-1", document(5, 1000));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(5));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);

        api.sendModified("uid-1", "150", document(4, 1));
        api.put("uid-1", document(6, 1000));
        awaitConfig(sidecar, watched(6));
        assertThat(messages(log, Level.WARN)).contains(
                "ConfigMap shop/sluice-config at resourceVersion 150 holds generation 4, older than generation 5 in force from it; ignored");
        assertThat(sidecar.statuses(3, "/")).isEqualTo("200 200 200");

        api.put("uid-1", document(7, 1));
        awaitConfig(sidecar, watched(7));
        api.delete();
        JsonNode config = awaitConfig(sidecar, c -> c.path("configFile").asText().equals("absent"));
        assertThat(config.path("source").asText()).isEqualTo("watch");
        assertThat(sidecar.statuses(3, "/")).as("a deleted ConfigMap enforces nothing").isEqualTo("200 200 200");

        api.put("uid-2", document(1, 1));
        config = awaitConfig(sidecar, watched(1));
        assertThat(config.path("configMap").path("uid").asText()).isEqualTo("uid-2");
        assertThat(sidecar.statuses(2, "/")).isEqualTo("200 429");
    }

    @Test
    void anInvalidDocumentFromTheWatchIsRefusedWholeAndTheLastGoodStays() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(1, 1));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(1));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);

        api.put("uid-1", document(2, 1).replace("period: 1h", "period: often"));
        JsonNode config = awaitConfig(sidecar, c -> c.hasNonNull("lastReloadError"));
        assertThat(config.path("lastReloadError").path("message").asText()).contains("period");
        assertThat(config.path("generation").asLong()).isEqualTo(1);
        assertThat(sidecar.statuses(2, "/")).isEqualTo("200 429");
        assertThat(sidecar.metric("sluice_config_reloads_total{result=\"failure\"}")).isEqualTo(1.0);
        assertThat(sidecar.admin("/readyz").statusCode()).isEqualTo(200);

        api.put("uid-1", document(3, 1000));
        config = awaitConfig(sidecar, watched(3));
        assertThat(config.hasNonNull("lastReloadError")).as("the refusal, cleared").isFalse();
    }

    /** How strictly a document is read follows its version, not its source: the watch reads a newer format leniently too. */
    @Test
    void aNewerFormatFromTheWatchIsEnforcedWithoutWhatItDoesNotKnowAndTheReportNamesTheConfigMap() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(1, 1000));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(1));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);

        api.put("uid-1", "version: 2\nresources: [{kind: RateLimitPolicy, name: api, generation: 7}]\n"
                + document(2, 1).replace("limits: [{requests: 1, period: 1h}]", "limits: [{requests: 1, period: 1h, smoothing: on}]"));
        JsonNode config = awaitConfig(sidecar, watched(2));
        assertThat(config.path("ignoredFields").toString()).isEqualTo("[\"policies[0].rules[0].limits[0].smoothing\"]");
        assertThat(sidecar.statuses(2, "/")).isEqualTo("200 429");

        JsonNode report = ConfigLoader.json().readTree(sidecar.admin("/report").body()).path("config");
        assertThat(report.path("source").asText()).isEqualTo("watch");
        assertThat(report.path("configMapUid").asText()).isEqualTo("uid-1");
        assertThat(report.path("version").asInt()).isEqualTo(2);
        assertThat(report.path("resources").toString()).isEqualTo("[{\"kind\":\"RateLimitPolicy\",\"name\":\"api\",\"generation\":7}]");
        assertThat(report.path("ignoredFields").toString()).isEqualTo("[\"policies[0].rules[0].limits[0].smoothing\"]");

        // The current format from the watch is as strict as a file.
        api.put("uid-1", document(3, 1).replace("limits: [{requests: 1, period: 1h}]", "limits: [{requests: 1, period: 1h, smoothing: on}]"));
        config = awaitConfig(sidecar, c -> c.hasNonNull("lastReloadError"));
        assertThat(config.path("lastReloadError").path("message").asText()).contains("unknown field 'smoothing'");
        assertThat(config.path("generation").asLong()).isEqualTo(2);
    }

    @Test
    void aRefusedWatchKeepsTheFileInForceRetriesLoggingOnceAndTakesOverWhenAllowed() throws Exception {
        ListAppender<ILoggingEvent> log = log(ConfigMapWatch.class);
        FakeApiServer api = api();
        api.put("uid-1", document(2, 1000));
        api.refuseWith(403);
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());

        await().atMost(WAIT).until(() -> api.requests.size() >= 3);
        JsonNode config = sidecar.adminJson("/config");
        assertThat(config.path("source").asText()).isEqualTo("file");
        assertThat(config.path("generation").asLong()).isEqualTo(1);
        assertThat(config.path("watch").asText()).startsWith("retrying: ConfigMap shop/sluice-config key sidecar.yaml on "
                + api.uri() + " answered 403 (the pod's token is refused, or the Role sluice-config-reader does not let it read");
        assertThat(sidecar.metric("sluice_config_watch_connected")).isEqualTo(0.0);
        assertThat(sidecar.admin("/readyz").statusCode()).as("readiness does not hang on the API server").isEqualTo(200);
        assertThat(messages(log, Level.WARN)).as("logged once, not at every retry").hasSize(1);

        api.refuseWith(0);
        awaitConfig(sidecar, watched(2));
        await().atMost(WAIT).until(() -> sidecar.metric("sluice_config_watch_connected") == 1.0);
        assertThat(messages(log, Level.INFO)).anyMatch(line -> line.startsWith("watching ConfigMap shop/sluice-config") && line.endsWith("again"));
    }

    @Test
    void theTokenIsReadAgainAtEveryConnect() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(1, 1000));
        SidecarFixture sidecar = sidecar(document(1, 1000), api.settings());
        awaitConfig(sidecar, watched(1));
        await().atMost(WAIT).until(() -> api.openWatches() == 1);

        Files.writeString(api.tokenFile, "token-2\n");
        api.acceptOnlyToken("token-2");
        api.endWatches();
        await().atMost(WAIT).until(() -> api.openWatches() == 1 && api.watchRequests().size() == 2);
        assertThat(api.watchRequests().get(1).authorization()).isEqualTo("Bearer token-2");
        api.put("uid-1", document(2, 1000));
        awaitConfig(sidecar, watched(2));
    }

    @Test
    void anApiServerThatTheCaDoesNotVouchForIsNotTalkedTo() throws Exception {
        FakeApiServer api = api();
        api.put("uid-1", document(2, 1000));
        Path other = Files.createDirectories(directory.resolve("other"));
        FakeApiServer.keytool(other.resolve("other.p12"), "CN=someone-else");
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(other.resolve("other.p12"))) {
            keys.load(in, "changeit".toCharArray());
        }
        Path otherCa = other.resolve("ca.crt");
        Files.writeString(otherCa, FakeApiServer.pem(keys.getCertificate("api")));
        ConfigMapWatchSettings settings = api.settings();
        SidecarFixture sidecar = sidecar(document(1, 1000), new ConfigMapWatchSettings(settings.namespace(), settings.name(),
                settings.key(), settings.apiServer(), settings.tokenFile(), otherCa));

        JsonNode config = awaitConfig(sidecar, c -> c.path("watch").asText().startsWith("retrying"));
        assertThat(config.path("watch").asText()).contains("SSLHandshakeException");
        assertThat(config.path("source").asText()).isEqualTo("file");
        assertThat(api.requests).as("no request, so no token, reached it").isEmpty();
    }

    private ListAppender<ILoggingEvent> log(Class<?> type) {
        Logger logger = (Logger) LoggerFactory.getLogger(type);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        closer.keep(() -> logger.detachAppender(appender));
        return appender;
    }

    private static List<String> messages(ListAppender<ILoggingEvent> log, Level level) {
        return log.list.stream().filter(event -> event.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
