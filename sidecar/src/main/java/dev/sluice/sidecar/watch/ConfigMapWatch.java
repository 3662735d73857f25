package dev.sluice.sidecar.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.config.ConfigLoader;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one ConfigMap on the Kubernetes API server and hands each state of its document to a listener, in
 * resourceVersion order: first the state a list finds (present, or absent), then every change a watch from that
 * resourceVersion delivers. A watch that ends is resumed from the last resourceVersion seen (bookmarks keep it
 * recent); one the API server no longer can resume ({@code 410 Gone}) starts again with a list. Failures
 * (connection refused, 401/403, 5xx, an unreadable token or CA) are retried with a backoff from
 * {@value #FIRST_BACKOFF_MILLIS} ms doubling to {@value #MAX_BACKOFF_MILLIS} ms, logged once per kind of failure
 * rather than every retry, and reported by {@link #status()} and the gauge {@code sluice_config_watch_connected}.
 *
 * <p>No Kubernetes client library: the JDK's HttpClient and Jackson do a list and a watch, and keep the sidecar
 * small. The token is read again at every (re)connect, since the kubelet rotates it; the CA file too, and the client
 * is rebuilt when it changed (a rotated {@code kube-root-ca.crt}).
 */
public final class ConfigMapWatch implements AutoCloseable {
    static final long FIRST_BACKOFF_MILLIS = 500;
    static final long MAX_BACKOFF_MILLIS = 10_000;
    /**
     * How long the API server keeps one watch open before ending it, as client-go's reflectors ask: the sidecar then
     * re-watches from where it was, and a connection that silently died is found out within {@link #IDLE_LIMIT}.
     */
    static final int WATCH_TIMEOUT_SECONDS = 300;
    /** A watch with nothing read for longer than the API server keeps one open is a dead connection: closed and resumed. */
    static final Duration IDLE_LIMIT = Duration.ofSeconds(WATCH_TIMEOUT_SECONDS + 60);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(ConfigMapWatch.class);

    private final ConfigMapWatchSettings settings;
    private final Consumer<WatchedDocument> listener;
    private final ObjectMapper json = ConfigLoader.json();
    private final ScheduledExecutorService idleCheck;
    private volatile String status = "connecting";
    private volatile boolean connected;
    private volatile boolean closed;
    private volatile InputStream openWatch;
    private volatile long lastReadNanos;
    private Thread thread;
    private String lastFailureKind;
    private byte[] caInUse;
    private HttpClient client;

    /** @param listener gets every state of the document, on the watch's thread, one at a time */
    public ConfigMapWatch(ConfigMapWatchSettings settings, Consumer<WatchedDocument> listener, MeterRegistry registry) {
        this.settings = settings;
        this.listener = listener;
        Gauge.builder("sluice_config_watch_connected", this, watch -> watch.connected ? 1 : 0)
                .description("1 while the watch on the configuration's ConfigMap is open, 0 while it connects or retries")
                .register(registry);
        this.idleCheck = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread checker = new Thread(runnable, "sluice-config-watch-idle");
            checker.setDaemon(true);
            return checker;
        });
    }

    public void start() {
        thread = new Thread(this::run, "sluice-config-watch");
        thread.setDaemon(true);
        thread.start();
        idleCheck.scheduleWithFixedDelay(this::closeIfIdle, 30, 30, TimeUnit.SECONDS);
    }

    /** {@code connected}, {@code connecting} (before the first answer), or {@code retrying: <why>}. */
    public String status() {
        return status;
    }

    public ConfigMapWatchSettings settings() {
        return settings;
    }

    private void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        String resourceVersion = null;
        try {
            while (!closed) {
                long pause = 0;
                try {
                    if (resourceVersion == null) {
                        resourceVersion = list();
                    }
                    Watched watched = watch(resourceVersion);
                    resourceVersion = watched.resourceVersion();
                    backoff = FIRST_BACKOFF_MILLIS;
                    // An API server (or a proxy before it) that ends watches at once must not be asked again in a hot loop.
                    pause = watched.lines() == 0 ? backoff : 0;
                } catch (Gone e) {
                    LOG.info("{}: resourceVersion {} is too old to watch from ({}); listing again", settings, resourceVersion, e.getMessage());
                    resourceVersion = null;
                } catch (WatchFailure e) {
                    failed(e.kind, e.getMessage());
                    pause = backoff;
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                }
                if (pause > 0 && !closed) {
                    Thread.sleep(pause);
                }
            }
        } catch (InterruptedException e) {
            // close() stops the watch.
        }
    }

    /** Lists the ConfigMap by name, hands its state to the listener, and returns the list's resourceVersion. */
    private String list() throws WatchFailure, InterruptedException {
        HttpResponse<InputStream> response = send(request("").timeout(REQUEST_TIMEOUT).build());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw refused(response.statusCode(), body);
            }
            JsonNode list = json.readTree(body);
            String resourceVersion = list.path("metadata").path("resourceVersion").asText(null);
            if (resourceVersion == null) {
                throw new WatchFailure("invalid response", "list of " + settings + " without metadata.resourceVersion");
            }
            JsonNode items = list.path("items");
            listener.accept(items.isArray() && !items.isEmpty() ? document(items.get(0)) : WatchedDocument.absent(configMap(), resourceVersion));
            return resourceVersion;
        } catch (IOException e) {
            throw new WatchFailure("connection", "listing " + settings + ": " + e);
        }
    }

    /** Watches from {@code resourceVersion} until the stream ends; returns the last resourceVersion seen. */
    private Watched watch(String resourceVersion) throws WatchFailure, Gone, InterruptedException {
        String query = "&watch=true&allowWatchBookmarks=true&timeoutSeconds=" + WATCH_TIMEOUT_SECONDS
                + "&resourceVersion=" + URLEncoder.encode(resourceVersion, StandardCharsets.UTF_8);
        HttpResponse<InputStream> response = send(request(query).build());
        int lines = 0;
        String last = resourceVersion;
        try (InputStream body = response.body()) {
            if (response.statusCode() == 410) {
                throw new Gone("HTTP 410");
            }
            if (response.statusCode() != 200) {
                throw refused(response.statusCode(), body);
            }
            openWatch = body;
            lastReadNanos = System.nanoTime();
            connected();
            BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null && !closed; line = reader.readLine()) {
                lastReadNanos = System.nanoTime();
                if (line.isBlank()) {
                    continue;
                }
                lines++;
                last = event(parse(line), last);
            }
            return new Watched(last, lines);
        } catch (IOException e) {
            if (closed || openWatch != null) {
                // A stream that broke once open is resumed like one that ended: if the API server is gone, that
                // attempt fails and backs off.
                LOG.debug("the watch of {} broke: {}", settings, e.toString());
                return new Watched(last, lines);
            }
            throw new WatchFailure("connection", "watching " + settings + ": " + e);
        } finally {
            openWatch = null;
            connected = false;
        }
    }

    private JsonNode parse(String line) throws WatchFailure {
        try {
            return json.readTree(line);
        } catch (IOException e) {
            throw new WatchFailure("invalid response", "watch of " + settings + " sent a line that is not JSON: " + e.getMessage());
        }
    }

    /** Handles one watch event; returns the resourceVersion to resume from. */
    private String event(JsonNode event, String last) throws WatchFailure, Gone {
        String type = event.path("type").asText("");
        JsonNode object = event.path("object");
        String resourceVersion = object.path("metadata").path("resourceVersion").asText(last);
        switch (type) {
            case "ADDED", "MODIFIED" -> listener.accept(document(object));
            case "DELETED" -> listener.accept(WatchedDocument.absent(configMap(), resourceVersion));
            case "BOOKMARK" -> {
            }
            case "ERROR" -> {
                int code = object.path("code").asInt();
                String message = object.path("message").asText("");
                if (code == 410) {
                    throw new Gone(message);
                }
                throw new WatchFailure("watch error " + code, "watch of " + settings + " ended with " + code + ": " + message);
            }
            default -> throw new WatchFailure("invalid response", "watch of " + settings + " sent an event of type '" + type + "'");
        }
        return resourceVersion;
    }

    private WatchedDocument document(JsonNode configMap) {
        JsonNode metadata = configMap.path("metadata");
        JsonNode text = configMap.path("data").path(settings.key());
        return new WatchedDocument(configMap(), metadata.path("uid").asText(null), metadata.path("resourceVersion").asText(null),
                text.isTextual() ? text.asText() : null);
    }

    private String configMap() {
        return settings.namespace() + "/" + settings.name();
    }

    private HttpRequest.Builder request(String query) throws WatchFailure {
        String token;
        try {
            token = Files.readString(settings.tokenFile(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new WatchFailure("token", "cannot read the token " + settings.tokenFile() + ": " + e);
        }
        String path = "/api/v1/namespaces/" + settings.namespace() + "/configmaps?fieldSelector="
                + URLEncoder.encode("metadata.name=" + settings.name(), StandardCharsets.UTF_8) + query;
        return HttpRequest.newBuilder(settings.apiServer().resolve(URI.create(path)))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private HttpResponse<InputStream> send(HttpRequest request) throws WatchFailure, InterruptedException {
        try {
            return client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new WatchFailure("connection", "cannot reach " + settings.apiServer() + ": " + e);
        }
    }

    /** The HTTP client, rebuilt when the CA file changed since it was built. */
    private HttpClient client() throws WatchFailure {
        byte[] ca;
        try {
            ca = Files.readAllBytes(settings.caFile());
        } catch (IOException e) {
            throw new WatchFailure("ca", "cannot read the CA " + settings.caFile() + ": " + e);
        }
        if (client == null || !Arrays.equals(ca, caInUse)) {
            try {
                client = HttpClient.newBuilder()
                        .sslContext(ApiServerTls.trusting(settings.caFile()))
                        .connectTimeout(CONNECT_TIMEOUT)
                        .build();
                caInUse = ca;
            } catch (IOException | GeneralSecurityException e) {
                throw new WatchFailure("ca", "cannot trust the CA " + settings.caFile() + ": " + e);
            }
        }
        return client;
    }

    private WatchFailure refused(int status, InputStream body) throws IOException {
        String message;
        try {
            message = json.readTree(body).path("message").asText("");
        } catch (IOException e) {
            message = "";
        }
        String kind = status >= 500 ? "HTTP 5xx" : "HTTP " + status;
        String hint = status == 401 || status == 403
                ? " (the pod's token is refused, or the Role sluice-config-reader does not let it read the ConfigMap)" : "";
        return new WatchFailure(kind, settings + " answered " + status + hint + (message.isEmpty() ? "" : ": " + message));
    }

    private void connected() {
        connected = true;
        status = "connected";
        if (lastFailureKind != null) {
            LOG.info("watching {} again", settings);
            lastFailureKind = null;
        }
    }

    private void failed(String kind, String message) {
        connected = false;
        status = "retrying: " + message;
        if (!kind.equals(lastFailureKind)) {
            LOG.warn("cannot watch {}; retrying with backoff up to {} s, the configuration in force stays: {}", settings,
                    MAX_BACKOFF_MILLIS / 1000, message);
            lastFailureKind = kind;
        }
    }

    private void closeIfIdle() {
        InputStream open = openWatch;
        if (open != null && System.nanoTime() - lastReadNanos > IDLE_LIMIT.toNanos()) {
            LOG.info("nothing read from the watch of {} for {}; reconnecting", settings, IDLE_LIMIT);
            closeQuietly(open);
        }
    }

    @Override
    public void close() {
        closed = true;
        idleCheck.shutdownNow();
        InputStream open = openWatch;
        if (open != null) {
            closeQuietly(open);
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    private static void closeQuietly(InputStream stream) {
        try {
            stream.close();
        } catch (IOException e) {
            LOG.debug("closing the watch: {}", e.toString());
        }
    }

    private record Watched(String resourceVersion, int lines) {
    }

    /** A failure to list or watch, of a kind logged once until another kind (or a success) comes. */
    static final class WatchFailure extends Exception {
        final String kind;

        WatchFailure(String kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }
    }

    /** The resourceVersion to watch from is gone from the API server's history: list again. */
    static final class Gone extends Exception {
        Gone(String message) {
            super(message, null, false, false);
        }
    }
}
