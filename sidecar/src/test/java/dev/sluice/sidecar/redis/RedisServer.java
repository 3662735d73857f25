package dev.sluice.sidecar.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) on a free 127.0.0.1 port, without persistence,
 * killed on {@link #close()}. A machine without it fails the test with a message saying what to
 * install: these tests are never skipped.
 */
public final class RedisServer implements AutoCloseable {
    private static final String BINARY = "redis-server";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path directory;
    private final int port;
    private final List<String> extraArguments;
    private final boolean plainPort;
    private Process process;

    private RedisServer(Path directory, int port, boolean plainPort, List<String> extraArguments) {
        this.directory = directory;
        this.port = port;
        this.plainPort = plainPort;
        this.extraArguments = List.copyOf(extraArguments);
    }

    /** A server on a free port with {@code extraArguments} (e.g. {@code --requirepass s3cret}). */
    public static RedisServer start(Path directory, String... extraArguments) {
        RedisServer server = new RedisServer(directory, freePort(false), true, List.of(extraArguments));
        server.launch();
        return server;
    }

    /** A server whose only listener is TLS on a free port, with {@code tlsArguments} naming the certificate files. */
    public static RedisServer startTls(Path directory, String... tlsArguments) {
        int port = freePort(false);
        List<String> arguments = new ArrayList<>(List.of("--port", "0", "--tls-port", String.valueOf(port)));
        arguments.addAll(List.of(tlsArguments));
        RedisServer server = new RedisServer(directory, port, false, arguments);
        server.launch();
        return server;
    }

    /** A Cluster node (its bus port, port + 10000, free too); join nodes with {@link #createCluster}. */
    public static RedisServer clusterNode(Path directory) {
        int port = freePort(true);
        RedisServer server = new RedisServer(directory, port, true, List.of("--cluster-enabled", "yes",
                "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "5000"));
        server.launch();
        return server;
    }

    /** A Sentinel monitoring {@code master} as {@code masterName}, with quorum 1. */
    public static RedisServer sentinel(Path directory, RedisServer master, String masterName) throws IOException {
        int port = freePort(false);
        Files.createDirectories(directory);
        Path config = directory.resolve("sentinel-" + port + ".conf");
        Files.writeString(config, "port " + port + "\nbind 127.0.0.1\ndir " + directory + "\n"
                + "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1\n");
        RedisServer server = new RedisServer(directory, port, true, List.of());
        server.launchSentinel(config);
        return server;
    }

    /** Joins three or more cluster nodes into one cluster of masters and waits until it serves. */
    public static void createCluster(List<RedisServer> nodes) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(node -> command.add("127.0.0.1:" + node.port()));
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String output = run(command);
        if (!output.contains("[OK] All 16384 slots covered")) {
            throw new AssertionError("redis-cli --cluster create failed:\n" + output);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        for (RedisServer node : nodes) {
            while (!node.cli("CLUSTER", "INFO").contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the cluster did not reach cluster_state:ok");
                }
                sleep(100);
            }
        }
    }

    public int port() {
        return port;
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(BINARY, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory.toString()));
        if (!plainPort) {
            command.subList(1, 3).clear();
        }
        command.addAll(extraArguments);
        launch(command);
    }

    private void launchSentinel(Path config) {
        launch(List.of(BINARY, config.toString(), "--sentinel"));
    }

    private void launch(List<String> command) {
        try {
            Files.createDirectories(directory);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("redis-" + port + ".log").toFile())
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot run '" + BINARY + "' (" + e.getMessage() + "): these tests need Redis on the PATH;"
                    + " install Debian's package with 'apt-get install -y redis-server'", e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!listening()) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited at start with " + process.exitValue() + ":\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("redis-server did not listen on " + port + " within " + START_TIMEOUT + ":\n" + log());
            }
            sleep(50);
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills the server (as a crash would) and waits until it is gone. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts the server again on the same port, empty. */
    public void restart() {
        stop();
        launch();
    }

    /** Runs {@code redis-cli} against this server and returns what it printed. */
    public String cli(String... arguments) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
        command.addAll(List.of(arguments));
        return run(command);
    }

    /** How many times Redis ran {@code command} (lower case, e.g. evalsha), from {@code INFO commandstats}. */
    public long calls(String command) {
        String prefix = "cmdstat_" + command + ":calls=";
        for (String line : cli("INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith(prefix)) {
                return Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    /** Every key, by SCAN. */
    public List<String> keys() {
        String output = cli("--scan");
        return output.isBlank() ? List.of() : List.of(output.strip().split("\r?\n"));
    }

    String log() {
        try {
            Path log = directory.resolve("redis-" + port + ".log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output;
            try (InputStream in = process.getInputStream(); OutputStream ignored = process.getOutputStream()) {
                output = in.readAllBytes();
            }
            process.waitFor(30, TimeUnit.SECONDS);
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + " (install Debian's redis-server, which brings redis-cli)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort(boolean withBusPort) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = withBusPort ? ThreadLocalRandom.current().nextInt(20_000, 50_000) : anyFreePort();
            if (free(port) && (!withBusPort || free(port + 10_000))) {
                return port;
            }
        }
        throw new IllegalStateException("no free port found on 127.0.0.1");
    }

    private static int anyFreePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
