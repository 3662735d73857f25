package dev.sluice.benchmarks.shed;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.benchmarks.LoadProgram;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The upstream of {@link Overload}, in a process of its own: {@code --threads} workers, each request taking
 * {@code --service-ms}, so its capacity is {@code threads × 1000 / serviceMs} requests a second; requests past the
 * workers wait in its queue. Prints {@code listening on PORT} once it serves, and serves until killed.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.shed.FixedServiceUpstream --threads 20 --service-ms 100 [--port 0]
 * </pre>
 */
public final class FixedServiceUpstream {
    private FixedServiceUpstream() {
    }

    public static void main(String[] args) throws IOException {
        int threads = Integer.parseInt(LoadProgram.option(args, "--threads", "20"));
        int serviceMs = Integer.parseInt(LoadProgram.option(args, "--service-ms", "100"));
        int port = Integer.parseInt(LoadProgram.option(args, "--port", "0"));
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4096);
        server.setExecutor(Executors.newFixedThreadPool(threads));
        byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                Thread.sleep(serviceMs);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        System.out.println("listening on " + server.getAddress().getPort());
        System.out.flush();
    }
}
