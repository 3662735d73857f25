package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sidecar.backpressure.ParkingLot;
import dev.sluice.sidecar.enforce.Enforcement;
import dev.sluice.sidecar.http.Forwarder;
import dev.sluice.sidecar.http.ProxyOverhead;
import dev.sluice.sidecar.http.UpstreamClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request reads what is in force exactly once, so that it never meets the limits of one
 * configuration and the gates or breaker of another. The sidecar's own traffic chain
 * ({@link Sidecar#trafficChain}) is served on a second listener, reading the sidecar's Enforcement
 * through a supplier that counts; requests take each way through it: passed to the app, refused by a
 * rate limit, parked at a gate and resumed, guarded by a breaker.
 */
class InForceReadOnceIT {
    private static final String CONFIG = """
            policies:
              - name: api
                rules:
                  - name: all
                    limits: [{requests: 4, period: 1h}]
                backpressure:
                  concurrency: {maxConcurrent: 1, queueSize: 5, maxWait: 30s}
            breakers:
              - name: app
                target: Inbound
                minimumNumberOfCalls: 1000
            """;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;
    private Undertow counted;
    private final AtomicInteger reads = new AtomicInteger();

    @Test
    void eachRequestReadsWhatIsInForceOnce() throws Exception {
        // Closed last: the sidecar's breaker and the chain's own client keep connections on this listener's I/O threads.
        closer.keep(() -> {
            if (counted != null) {
                counted.stop();
            }
        });
        fixture = closer.keep(SidecarFixture.withClock(directory, CONFIG, Instant.parse("2026-01-01T00:00:00Z")));
        serveCountedChain(() -> {
            reads.incrementAndGet();
            return fixture.sidecar.enforcement();
        });

        assertThat(get("/echo/passed").statusCode()).isEqualTo(200);
        assertThat(reads.get()).isEqualTo(1);

        CompletableFuture<HttpResponse<String>> held = send("/hold");
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.upstream.held.get() == 1);
        CompletableFuture<HttpResponse<String>> parked = send("/echo/parked");
        await().atMost(Duration.ofSeconds(20)).until(() -> fixture.adminJson("/state").path("backpressure").get(0).path("queued").asInt() == 1);
        fixture.upstream.releaseHeld();
        assertThat(held.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(parked.get(20, TimeUnit.SECONDS).statusCode()).as("resumed from the gate's queue").isEqualTo(200);
        assertThat(reads.get()).isEqualTo(3);

        assertThat(get("/echo/last").statusCode()).isEqualTo(200);
        assertThat(get("/echo/refused").statusCode()).isEqualTo(429);
        assertThat(reads.get()).as("reads of what is in force for 5 requests").isEqualTo(5);
        assertThat(fixture.adminJson("/state").path("breakers").get(0).path("bufferedCalls").asInt())
                .as("the breaker saw the 4 requests that reached the app").isEqualTo(4);
    }

    /** The sidecar's traffic chain on a listener of its own, reading what is in force through {@code inForce}. */
    private void serveCountedChain(Supplier<Enforcement> inForce) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        UpstreamClient app = closer.keep(UpstreamClient.inbound(fixture.upstream.uri(), SidecarSettings.DEFAULT_CONNECTIONS_PER_THREAD));
        Forwarder forwarder = Forwarder.toApp(app, SidecarSettings.DEFAULT_UPSTREAM_TIMEOUT, Forwarder.DEFAULT_TUNNEL_IDLE_TIMEOUT,
                new ProxyOverhead(registry));
        counted = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, true)
                .setHandler(Sidecar.trafficChain(inForce, forwarder, registry, new ParkingLot(100)))
                .build();
        counted.start();
    }

    private URI counted(String path) {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) counted.getListenerInfo().get(0).getAddress()).getPort() + path);
    }

    private HttpResponse<String> get(String path) {
        return fixture.send(HttpRequest.newBuilder(counted(path)).timeout(Duration.ofSeconds(20)).build());
    }

    private CompletableFuture<HttpResponse<String>> send(String path) {
        return fixture.client.sendAsync(HttpRequest.newBuilder(counted(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
