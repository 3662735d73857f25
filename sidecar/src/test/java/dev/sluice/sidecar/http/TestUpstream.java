package dev.sluice.sidecar.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server on 127.0.0.1 standing in for the app:
 * <ul>
 *   <li>{@code /echo/**}: the request line, headers and body digest as text;</li>
 *   <li>{@code /upload}: reads the body and answers its length and SHA-256, counting down
 *       {@link #firstMegabyteReceived} as soon as 1 MiB has arrived;</li>
 *   <li>{@code /download?bytes=N}: streams N pseudo-random bytes, pausing after the first MiB until
 *       {@link #clientHasFirstMegabyte} is counted down;</li>
 *   <li>{@code /slow?ms=N}: answers after N milliseconds;</li>
 *   <li>{@code /flaky}: fails or slows on command: the next {@link #failuresBeforeSuccess} answers are
 *       {@link #failureStatus}, the others {@link #flakyStatus}, each after {@link #flakyDelayMillis};
 *       {@link #flakyRequests} counts them;</li>
 *   <li>{@code /hold}: answers only once {@link #releaseHeld()} (or {@link #stopHolding()}) is called; {@link #held} counts those waiting;</li>
 *   <li>anything else: 200 "ok".</li>
 * </ul>
 * {@link #connections()} counts the TCP connections requests arrived on.
 */
public final class TestUpstream implements AutoCloseable {
    public static final int MEBIBYTE = 1 << 20;

    static {
        // The JDK server leaves Nagle on: each response would wait ~40 ms on the proxy's delayed ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    public final CountDownLatch firstMegabyteReceived = new CountDownLatch(1);
    public final CountDownLatch clientHasFirstMegabyte = new CountDownLatch(1);
    public final AtomicInteger requests = new AtomicInteger();
    public final AtomicInteger flakyStatus = new AtomicInteger(200);
    public final AtomicInteger failureStatus = new AtomicInteger(503);
    public final AtomicInteger failuresBeforeSuccess = new AtomicInteger();
    public final AtomicLong flakyDelayMillis = new AtomicLong();
    public final AtomicInteger flakyRequests = new AtomicInteger();
    public final AtomicInteger held = new AtomicInteger();
    private final Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
    private volatile CountDownLatch holdRelease = new CountDownLatch(1);
    private volatile boolean holding = true;
    private final HttpServer server;
    private final ExecutorService executor;

    public TestUpstream() throws IOException {
        this(16);
    }

    /** An upstream that answers up to {@code threads} requests at once (each held or slow request takes one). */
    public TestUpstream(int threads) throws IOException {
        executor = Executors.newFixedThreadPool(threads);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * How many TCP connections requests have arrived on so far: the distinct client ends (address and
     * port) seen, each of which is one connection while it is open.
     */
    public int connections() {
        return peers.size();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        peers.add(exchange.getRemoteAddress());
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith("/echo")) {
                echo(exchange);
            } else if (path.equals("/upload")) {
                upload(exchange);
            } else if (path.equals("/download")) {
                download(exchange);
            } else if (path.equals("/flaky")) {
                flaky(exchange);
            } else if (path.equals("/hold")) {
                hold(exchange);
            } else if (path.equals("/slow")) {
                Thread.sleep(Long.parseLong(query(exchange).get("ms")));
                send(exchange, 200, "slept\n");
            } else {
                exchange.getRequestBody().readAllBytes();
                send(exchange, 200, "ok\n");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void flaky(HttpExchange exchange) throws IOException, InterruptedException {
        exchange.getRequestBody().readAllBytes();
        flakyRequests.incrementAndGet();
        long delay = flakyDelayMillis.get();
        if (delay > 0) {
            Thread.sleep(delay);
        }
        boolean fail = failuresBeforeSuccess.getAndUpdate(left -> Math.max(0, left - 1)) > 0;
        int status = fail ? failureStatus.get() : flakyStatus.get();
        send(exchange, status, fail ? "failed on command\n" : "flaky " + status + "\n");
    }

    private void hold(HttpExchange exchange) throws IOException, InterruptedException {
        exchange.getRequestBody().readAllBytes();
        CountDownLatch release = holdRelease;
        held.incrementAndGet();
        try {
            if (holding) {
                release.await(30, TimeUnit.SECONDS);
            }
        } finally {
            held.decrementAndGet();
        }
        send(exchange, 200, "released\n");
    }

    /** Answers every held request and every later one at once. */
    public void stopHolding() {
        holding = false;
        releaseHeld();
    }

    /** Answers every held request, and holds the next ones again. */
    public void releaseHeld() {
        CountDownLatch release = holdRelease;
        holdRelease = new CountDownLatch(1);
        release.countDown();
    }

    private void echo(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        StringBuilder text = new StringBuilder();
        text.append(exchange.getRequestMethod()).append(' ').append(exchange.getRequestURI()).append('\n');
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, String.join(",", values)));
        headers.forEach((name, value) -> text.append(name.toLowerCase()).append(": ").append(value).append('\n'));
        text.append("body-sha256: ").append(sha256(body)).append('\n');
        exchange.getResponseHeaders().add("X-Upstream", "test");
        send(exchange, 200, text.toString());
    }

    private void upload(HttpExchange exchange) throws IOException {
        MessageDigest digest = digest();
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        InputStream body = exchange.getRequestBody();
        for (int read; (read = body.read(buffer)) > 0; ) {
            digest.update(buffer, 0, read);
            total += read;
            if (total >= MEBIBYTE) {
                firstMegabyteReceived.countDown();
            }
        }
        send(exchange, 200, total + " " + HexFormat.of().formatHex(digest.digest()));
    }

    private void download(HttpExchange exchange) throws IOException, InterruptedException {
        long bytes = Long.parseLong(query(exchange).get("bytes"));
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            PatternStream source = new PatternStream(bytes);
            byte[] buffer = new byte[64 * 1024];
            long sent = 0;
            boolean paused = false;
            for (int read; (read = source.read(buffer)) > 0; ) {
                out.write(buffer, 0, read);
                sent += read;
                if (!paused && sent >= MEBIBYTE) {
                    out.flush();
                    paused = true;
                    if (!clientHasFirstMegabyte.await(20, TimeUnit.SECONDS)) {
                        throw new IOException("the client never received the first MiB: the download was buffered");
                    }
                }
            }
        }
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new TreeMap<>();
        String raw = exchange.getRequestURI().getQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                String[] parts = pair.split("=", 2);
                query.put(parts[0], parts.length > 1 ? parts[1] : "");
            }
        }
        return query;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    static String sha256(byte[] bytes) {
        MessageDigest digest = digest();
        return HexFormat.of().formatHex(digest.digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        holdRelease.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    /** Deterministic bytes, so that both ends can digest a large body without holding it. */
    static final class PatternStream extends InputStream {
        private long remaining;
        private long state = 0x9E3779B97F4A7C15L;

        PatternStream(long length) {
            this.remaining = length;
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            remaining--;
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return (int) (state & 0xFF);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (remaining <= 0) {
                return -1;
            }
            int count = (int) Math.min(length, remaining);
            for (int i = 0; i < count; i++) {
                buffer[offset + i] = (byte) read();
            }
            return count;
        }
    }
}
