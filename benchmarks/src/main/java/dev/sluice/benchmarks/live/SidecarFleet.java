package dev.sluice.benchmarks.live;

import static dev.sluice.benchmarks.LoadProgram.option;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.inject.InjectionNames;
import dev.sluice.sidecar.watch.ConfigMapWatchSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code java -cp benchmarks.jar dev.sluice.benchmarks.live.SidecarFleet --api-server URL --ca FILE --namespace NS
 * --pods FILE --report-port N --control-port N}: 1,000 (one per line of the pods file: {@code name ip tokenFile}) simulated
 * sidecars in one process, for {@link FleetBenchmark}. Each watches its namespace's ConfigMap with the sidecar's own
 * {@code ConfigMapWatch} and its own token. One listener on {@code 0.0.0.0:<report port>} serves every pod's
 * {@code GET /report}, telling the pods apart by the address the connection came to (each pod's IP is a 127.x.y.z of
 * its own, all on the loopback interface); another on {@code 127.0.0.1:<control port>} answers the benchmark:
 * {@code /fleet/status} and {@code /fleet/arrivals?generation=G} (when each pod first received that generation).
 */
public final class SidecarFleet {
    /**
     * Sidecars started together; a pause between batches spreads the TLS handshakes as a rollout would (500 a second
     * made half the watches time out connecting, 5 s, on a loaded 2-core machine: they retried and got through, but
     * the start took a minute).
     */
    private static final int START_BATCH = 25;
    private static final long START_PAUSE_MILLIS = 250;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<InetAddress, SimulatedSidecar> byAddress;
    private final List<SimulatedSidecar> sidecars;
    private final int controlPort;
    private final String sidecarVersion;
    private final AtomicLong reportsServed = new AtomicLong();

    private SidecarFleet(Map<InetAddress, SimulatedSidecar> byAddress, int controlPort) {
        this.byAddress = Map.copyOf(byAddress);
        this.sidecars = List.copyOf(byAddress.values());
        this.controlPort = controlPort;
        String version = SidecarFleet.class.getPackage().getImplementationVersion();
        this.sidecarVersion = version == null ? "dev" : version;
    }

    public static void main(String[] args) throws Exception {
        URI apiServer = URI.create(required(args, "--api-server"));
        Path ca = Path.of(required(args, "--ca"));
        String namespace = required(args, "--namespace");
        Path podsFile = Path.of(required(args, "--pods"));
        int reportPort = Integer.parseInt(required(args, "--report-port"));
        int controlPort = Integer.parseInt(required(args, "--control-port"));

        Map<String, LoadedDocument> read = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, LoadedDocument> eldest) {
                return size() > 8;
            }
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Clock clock = Clock.systemUTC();
        Map<InetAddress, SimulatedSidecar> byAddress = new LinkedHashMap<>();
        for (String line : Files.readAllLines(podsFile)) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 3) {
                throw new IllegalArgumentException(podsFile + ": a line must be 'name ip tokenFile', got '" + line + "'");
            }
            ConfigMapWatchSettings settings = new ConfigMapWatchSettings(namespace, InjectionNames.CONFIG_MAP, "sidecar.yaml", apiServer,
                    Path.of(fields[2]), ca);
            byAddress.put(InetAddress.getByName(fields[1]), new SimulatedSidecar(fields[0], settings, text -> {
                synchronized (read) {
                    return read.computeIfAbsent(text, LoadedDocument::read);
                }
            }, clock, registry));
        }
        SidecarFleet fleet = new SidecarFleet(byAddress, controlPort);
        Undertow server = Undertow.builder().setIoThreads(2).setWorkerThreads(2)
                .addHttpListener(reportPort, "0.0.0.0")
                .addHttpListener(controlPort, "127.0.0.1")
                .setHandler(fleet::handle)
                .build();
        server.start();
        int started = 0;
        for (SimulatedSidecar sidecar : fleet.sidecars) {
            sidecar.start();
            if (++started % START_BATCH == 0) {
                Thread.sleep(START_PAUSE_MILLIS);
            }
        }
        System.out.println("started " + started + " sidecars; reports on 0.0.0.0:" + reportPort + ", control on 127.0.0.1:" + controlPort);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fleet.sidecars.forEach(SimulatedSidecar::stop);
            server.stop();
        }, "stop-fleet"));
        new CountDownLatch(1).await();
    }

    private void handle(HttpServerExchange exchange) throws JsonProcessingException {
        if (exchange.getDestinationAddress().getPort() == controlPort) {
            control(exchange);
            return;
        }
        SimulatedSidecar sidecar = byAddress.get(exchange.getDestinationAddress().getAddress());
        if (sidecar == null || !"/report".equals(exchange.getRequestPath())) {
            exchange.setStatusCode(StatusCodes.NOT_FOUND);
            exchange.getResponseSender().send("no pod at " + exchange.getDestinationAddress() + " serves " + exchange.getRequestPath() + "\n");
            return;
        }
        reportsServed.incrementAndGet();
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(JSON.writeValueAsString(sidecar.report(sidecarVersion)));
    }

    private void control(HttpServerExchange exchange) throws JsonProcessingException {
        Map<String, Object> answer = new LinkedHashMap<>();
        switch (exchange.getRequestPath()) {
            case "/fleet/status" -> {
                long lowest = Long.MAX_VALUE;
                int connected = 0;
                int withDocument = 0;
                for (SimulatedSidecar sidecar : sidecars) {
                    connected += sidecar.connected() ? 1 : 0;
                    withDocument += sidecar.hasDocument() ? 1 : 0;
                    lowest = Math.min(lowest, sidecar.generation());
                }
                answer.put("pods", sidecars.size());
                answer.put("connected", connected);
                answer.put("withDocument", withDocument);
                answer.put("lowestGeneration", lowest);
                answer.put("reportsServed", reportsServed.get());
            }
            case "/fleet/arrivals" -> {
                Deque<String> generation = exchange.getQueryParameters().get("generation");
                if (generation == null) {
                    exchange.setStatusCode(StatusCodes.BAD_REQUEST);
                    exchange.getResponseSender().send("generation=N is required\n");
                    return;
                }
                long wanted = Long.parseLong(generation.getFirst());
                List<Long> micros = new ArrayList<>();
                Map<String, Object> pending = new HashMap<>();
                for (SimulatedSidecar sidecar : sidecars) {
                    long at = sidecar.firstArrival(wanted);
                    if (at < 0) {
                        pending.put(sidecar.pod(), sidecar.generation());
                    } else {
                        micros.add(at);
                    }
                }
                answer.put("pending", pending.size());
                answer.put("pendingExamples", pending.entrySet().stream().limit(5).map(e -> e.getKey() + " at " + e.getValue()).toList());
                answer.put("arrivalMicros", micros);
            }
            default -> {
                exchange.setStatusCode(StatusCodes.NOT_FOUND);
                exchange.getResponseSender().send("unknown: " + exchange.getRequestPath() + "\n");
                return;
            }
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(JSON.writeValueAsString(answer));
    }

    private static String required(String[] args, String name) {
        String value = option(args, name, null);
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }
}
