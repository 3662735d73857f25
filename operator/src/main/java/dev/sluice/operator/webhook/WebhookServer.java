package dev.sluice.operator.webhook;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/** The HTTPS server the API server calls the admission webhooks on. */
public final class WebhookServer implements AutoCloseable {
    /** Enough to take a burst of concurrent calls; decisions of one namespace queue on its lock anyway. */
    private static final int THREADS = 16;
    /** How long stopping waits for the calls in progress: a decision takes milliseconds. */
    private static final int STOP_GRACE_SECONDS = 2;

    private final HttpsServer server;
    private final ExecutorService executor;

    private WebhookServer(HttpsServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Serves each handler on its path. */
    public static WebhookServer start(String bindAddress, int port, SSLContext tls, Map<String, HttpHandler> handlers) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(bindAddress, port), 128);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        handlers.forEach(server::createContext);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "admission-webhook-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        return new WebhookServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        // Calls in progress finish (and their decisions are counted) before the caller flushes the counts: with stop(0)
        // and shutdownNow, a decision still running when a replica stopped could be counted after its last flush, and
        // a JobQuota's admittedTotal came out one short after a rolling upgrade (JobQuotaE2E, in one CI run of several).
        server.stop(STOP_GRACE_SECONDS);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(STOP_GRACE_SECONDS, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
