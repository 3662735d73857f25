package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A redis-server of the Global mode on a free loopback port, without persistence, pinned with the load generator. */
final class RedisServer implements AutoCloseable {
    final int port;
    private final Process process;

    private RedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static RedisServer start(Path directory, String cpus) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        int port = Ports.free();
        Path log = directory.resolve("redis.log");
        Process process = new ProcessBuilder(Tools.TASKSET.path(), "-c", cpus, Tools.REDIS.path(), "--port", String.valueOf(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        RedisServer redis = new RedisServer(process, port);
        try {
            Ports.awaitListening(port, process, log);
        } catch (IOException | RuntimeException e) {
            redis.close();
            throw e;
        }
        return redis;
    }

    @Override
    public void close() {
        Ports.stop(process);
    }
}
