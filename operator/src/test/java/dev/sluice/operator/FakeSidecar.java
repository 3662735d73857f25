package dev.sluice.operator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real HTTP server on a loopback address that answers {@code GET /report} as a sidecar's admin port does, with the
 * contract's JSON the test sets: the operator's scraper reads it over a real socket.
 */
public final class FakeSidecar implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final AtomicReference<String> report = new AtomicReference<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger requests = new AtomicInteger();
    private final InFlight inFlight;
    private volatile CountDownLatch hold = new CountDownLatch(0);

    private FakeSidecar(String address, InFlight inFlight) {
        this.inFlight = inFlight;
        try {
            server = HttpServer.create(new InetSocketAddress(address, 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/report", exchange -> {
            requests.incrementAndGet();
            int now = inFlight.now().incrementAndGet();
            inFlight.most().accumulateAndGet(now, Math::max);
            try {
                hold.await();
                byte[] body = report.get() == null ? new byte[0] : report.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status.get(), body.length == 0 ? -1 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.now().decrementAndGet();
                exchange.close();
            }
        });
        server.start();
    }

    /** A sidecar on {@code address} (any of 127.0.0.0/8), on a free port. */
    public static FakeSidecar on(String address) {
        return new FakeSidecar(address, new InFlight());
    }

    /** A sidecar that counts the requests in flight together with the others given the same {@code inFlight}. */
    public static FakeSidecar on(String address, InFlight inFlight) {
        return new FakeSidecar(address, inFlight);
    }

    /** Requests being answered now, and the most at once, over a group of sidecars. */
    public record InFlight(AtomicInteger now, AtomicInteger most) {
        public InFlight() {
            this(new AtomicInteger(), new AtomicInteger());
        }
    }

    public FakeSidecar answer(String json) {
        report.set(json);
        status.set(200);
        return this;
    }

    public FakeSidecar failWith(int code) {
        status.set(code);
        return this;
    }

    /** Answers only once {@code latch} is released. */
    public FakeSidecar holdUntil(CountDownLatch latch) {
        hold = latch;
        return this;
    }

    public int requests() {
        return requests.get();
    }

    public URI uri() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/report");
    }

    /**
     * The contract's report of a sidecar enforcing document {@code generation} with {@code resources} (e.g.
     * {@code {"kind":"RateLimitPolicy","name":"api","generation":4}}), and an unknown field a newer sidecar might add.
     */
    public static String report(long generation, String resources, String rules, String breakers, String refused) {
        return """
                {"sidecarVersion":"0.1.0-SNAPSHOT","documentVersion":1,
                 "config":{"generation":%d,"version":1,"source":"watch","configMapUid":"cm-1","loadedAt":"2026-11-28T03:00:00.123Z",
                           "resources":[%s],"ignoredFields":[]},
                 "refused":%s,
                 "rules":[%s],"breakers":[%s],"gates":[],"draining":false,"aFieldOfANewerSidecar":{"x":1}}
                """.formatted(generation, resources, refused == null ? "null" : refused, rules, breakers);
    }

    public static String resource(String kind, String name, long generation) {
        return "{\"kind\":\"%s\",\"name\":\"%s\",\"generation\":%d}".formatted(kind, name, generation);
    }

    public static String rule(String policy, String rule, long requests, long rejected) {
        return "{\"policy\":\"%s\",\"rule\":\"%s\",\"mode\":\"Enforce\",\"requests\":%d,\"rejected\":%d,\"shadowRejected\":0,\"fallbacks\":0}"
                .formatted(policy, rule, requests, rejected);
    }

    public static String breaker(String breaker, String state) {
        return "{\"breaker\":\"%s\",\"state\":\"%s\",\"since\":null}".formatted(breaker, state);
    }

    @Override
    public void close() {
        hold.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
