package dev.sluice.sidecar;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a sidecar process is started.
 *
 * @param configFile the configuration document (YAML or JSON), reloaded when it changes
 * @param upstream the app's base URL, normally on loopback
 * @param bindAddress the address the traffic and admin ports listen on
 * @param port the traffic port (0 picks a free one)
 * @param adminPort the admin port (0 picks a free one)
 * @param podLabelsFile the pod's labels in the downward API's format; null runs standalone, where every policy applies
 * @param upstreamTimeout the longest a proxied request may take before 504
 * @param reloadInterval how often the configuration file is checked for changes
 * @param connectionsPerThread upstream keep-alive connections per I/O thread
 * @param shutdownGrace how long in-flight requests may take to finish on shutdown
 */
public record SidecarSettings(
        Path configFile,
        URI upstream,
        String bindAddress,
        int port,
        int adminPort,
        Path podLabelsFile,
        Duration upstreamTimeout,
        Duration reloadInterval,
        int connectionsPerThread,
        Duration shutdownGrace) {

    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_ADMIN_PORT = 9090;
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECTIONS_PER_THREAD = 32;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    /** Settings for a sidecar on loopback with free ports, as tests and the demo start it. */
    public static SidecarSettings loopback(Path configFile, URI upstream) {
        return new SidecarSettings(configFile, upstream, "127.0.0.1", 0, 0, null, DEFAULT_UPSTREAM_TIMEOUT,
                Duration.ofMillis(200), DEFAULT_CONNECTIONS_PER_THREAD, Duration.ofSeconds(2));
    }

    public SidecarSettings withPodLabels(Path file) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, file, upstreamTimeout, reloadInterval,
                connectionsPerThread, shutdownGrace);
    }

    public SidecarSettings withUpstreamTimeout(Duration timeout) {
        return new SidecarSettings(configFile, upstream, bindAddress, port, adminPort, podLabelsFile, timeout, reloadInterval,
                connectionsPerThread, shutdownGrace);
    }
}
