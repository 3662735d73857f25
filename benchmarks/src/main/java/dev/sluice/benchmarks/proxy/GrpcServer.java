package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The upstream of the gRPC modes: grpc-go's benchmark server ({@code grpc.testing.BenchmarkService}, whose
 * {@code UnaryCall} answers a payload of the size asked for) in {@code sluice-grpc-bench serve}, on the load's CPUs, as
 * the HTTP modes' upstream nginx is.
 */
final class GrpcServer implements AutoCloseable {
    final Process process;
    final int port;

    private GrpcServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static GrpcServer start(Path directory, int port, String cpus) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path log = directory.resolve("server.log");
        Process process = new ProcessBuilder(List.of(Tools.TASKSET.path(), "-c", cpus, Tools.GRPC_BENCH.path(), "serve", "-port",
                String.valueOf(port))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        GrpcServer server = new GrpcServer(process, port);
        try {
            Ports.awaitListening(port, process, log);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    @Override
    public void close() {
        Ports.stop(process);
    }
}
