package dev.sluice.sidecar.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.sluice.api.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A Kubernetes API server reduced to one ConfigMap, over real TLS on 127.0.0.1: it serves the list
 * ({@code ?fieldSelector=metadata.name=...}) and watches (JSON lines, chunked) the sidecar asks for, checks the
 * bearer token, and lets a test change the ConfigMap (every open watch gets the event), send bookmarks and
 * arbitrary events, end watches, expire them with 410, and refuse requests with a status. Its certificate is
 * self-signed by {@code keytool} for IP 127.0.0.1, so that the sidecar verifies it against the CA file as against
 * a cluster's.
 */
final class FakeApiServer implements AutoCloseable {
    static final String NAMESPACE = "shop";
    static final String NAME = "sluice-config";
    static final String KEY = "sidecar.yaml";
    private static final String END = "\u0000end";
    private static final ObjectMapper JSON = ConfigLoader.json();

    final Path caFile;
    final Path tokenFile;
    /** Every request: its query, decoded, and its Authorization header. */
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<BlockingQueue<String>> watches = new CopyOnWriteArrayList<>();
    private volatile String token = "token-1";
    private volatile int refuseWith;
    private long resourceVersion = 100;
    private String uid;
    private String document;

    record Request(Map<String, String> query, String authorization) {
        boolean watch() {
            return "true".equals(query.get("watch"));
        }
    }

    FakeApiServer(Path directory) throws Exception {
        char[] password = "changeit".toCharArray();
        Path keystore = directory.resolve("apiserver.p12");
        keytool(keystore, "CN=fake-apiserver");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, password);
        }
        caFile = directory.resolve("ca.crt");
        Files.writeString(caFile, pem(keys.getCertificate("api")));
        tokenFile = directory.resolve("token");
        Files.writeString(tokenFile, token + "\n");
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(executor);
        server.createContext("/api/v1/namespaces/" + NAMESPACE + "/configmaps", this::handle);
        server.start();
    }

    /** A self-signed certificate for 127.0.0.1 in a new PKCS12 key store, made by the JDK's keytool. */
    static void keytool(Path keystore, String name) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", name,
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
    }

    static String pem(Certificate certificate) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    URI uri() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    ConfigMapWatchSettings settings() {
        return new ConfigMapWatchSettings(NAMESPACE, NAME, KEY, uri(), tokenFile, caFile);
    }

    /** Creates or changes the ConfigMap; open watches get ADDED or MODIFIED. */
    synchronized void put(String newUid, String text) {
        boolean added = uid == null || !uid.equals(newUid);
        uid = newUid;
        document = text;
        resourceVersion++;
        broadcast(event(added ? "ADDED" : "MODIFIED", configMap(uid, Long.toString(resourceVersion), text)));
    }

    /** Deletes the ConfigMap; open watches get DELETED. */
    synchronized void delete() {
        resourceVersion++;
        broadcast(event("DELETED", configMap(uid, Long.toString(resourceVersion), document)));
        uid = null;
        document = null;
    }

    /** Sends an event as given, without changing what a list finds: a stale or odd event. */
    synchronized void sendModified(String eventUid, String eventResourceVersion, String text) {
        broadcast(event("MODIFIED", configMap(eventUid, eventResourceVersion, text)));
    }

    /** Moves the resourceVersion on without a change to this ConfigMap, and tells open watches with a bookmark. */
    synchronized void bookmark() {
        resourceVersion++;
        Map<String, Object> metadata = Map.of("resourceVersion", Long.toString(resourceVersion));
        broadcast(event("BOOKMARK", Map.of("kind", "ConfigMap", "apiVersion", "v1", "metadata", metadata)));
    }

    synchronized long resourceVersion() {
        return resourceVersion;
    }

    /** Ends every open watch normally, as the API server does at the watch's timeout. */
    void endWatches() {
        broadcast(END);
    }

    /** Ends every open watch with an ERROR event 410: the resourceVersion is too old to resume from. */
    void expireWatches() {
        broadcast(event("ERROR", Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure",
                "message", "too old resource version", "reason", "Expired", "code", 410)));
        broadcast(END);
    }

    /** Answers every request with {@code status} from now on (0: serve again), and ends the open watches. */
    void refuseWith(int status) {
        refuseWith = status;
        if (status != 0) {
            endWatches();
        }
    }

    /** Accepts only {@code newToken} from now on. */
    void acceptOnlyToken(String newToken) {
        token = newToken;
    }

    int openWatches() {
        return watches.size();
    }

    List<Request> lists() {
        return requests.stream().filter(request -> !request.watch()).toList();
    }

    List<Request> watchRequests() {
        return requests.stream().filter(Request::watch).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        requests.add(new Request(query, authorization));
        try (exchange) {
            int refusal = refuseWith;
            if (refusal != 0) {
                status(exchange, refusal, "refused by the test");
                return;
            }
            if (!("Bearer " + token).equals(authorization)) {
                status(exchange, 401, "Unauthorized");
                return;
            }
            if (!("metadata.name=" + NAME).equals(query.get("fieldSelector"))) {
                status(exchange, 400, "this fake serves only fieldSelector=metadata.name=" + NAME);
                return;
            }
            if ("true".equals(query.get("watch"))) {
                watch(exchange);
            } else {
                list(exchange);
            }
        }
    }

    private void list(HttpExchange exchange) throws IOException {
        Map<String, Object> list = new LinkedHashMap<>();
        synchronized (this) {
            list.put("kind", "ConfigMapList");
            list.put("apiVersion", "v1");
            list.put("metadata", Map.of("resourceVersion", Long.toString(resourceVersion)));
            list.put("items", uid == null ? List.of() : List.of(configMap(uid, Long.toString(resourceVersion), document)));
        }
        byte[] body = JSON.writeValueAsBytes(list);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    private void watch(HttpExchange exchange) throws IOException {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream body = exchange.getResponseBody();
        body.flush();
        watches.add(events);
        try {
            for (String line = events.take(); !END.equals(line); line = events.take()) {
                body.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                body.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // The sidecar closed the watch.
        } finally {
            watches.remove(events);
        }
    }

    private void broadcast(String line) {
        watches.forEach(watch -> watch.add(line));
    }

    private static Map<String, Object> configMap(String uid, String resourceVersion, String text) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", NAME);
        metadata.put("namespace", NAMESPACE);
        metadata.put("uid", uid);
        metadata.put("resourceVersion", resourceVersion);
        Map<String, Object> configMap = new LinkedHashMap<>();
        configMap.put("kind", "ConfigMap");
        configMap.put("apiVersion", "v1");
        configMap.put("metadata", metadata);
        configMap.put("data", text == null ? Map.of() : Map.of(KEY, text));
        return configMap;
    }

    private static String event(String type, Map<String, Object> object) {
        try {
            return JSON.writeValueAsString(Map.of("type", type, "object", object));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void status(HttpExchange exchange, int code, String message) throws IOException {
        byte[] body = JSON.writeValueAsBytes(Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "message", message,
                "code", code));
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, body.length);
        exchange.getResponseBody().write(body);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            query.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return query;
    }

    @Override
    public void close() {
        endWatches();
        server.stop(0);
        executor.shutdownNow();
    }
}
