package dev.sluice.operator.monitoring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's HTTP endpoints: {@code /healthz} (liveness), {@code /readyz} (ready, or 503 with the
 * reason why not) and {@code /metrics} (Prometheus).
 */
public final class ProbeServer implements AutoCloseable {
    private final HttpServer server;

    private ProbeServer(HttpServer server) {
        this.server = server;
    }

    /** @param notReady null when ready, otherwise why not */
    public static ProbeServer start(int port, Supplier<String> notReady, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", exchange -> {
            String why = notReady.get();
            respond(exchange, why == null ? 200 : 503, "text/plain", why == null ? "ready\n" : "not ready: " + why + "\n");
        });
        server.createContext("/metrics", exchange ->
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.setExecutor(Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "probe-server");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        return new ProbeServer(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
