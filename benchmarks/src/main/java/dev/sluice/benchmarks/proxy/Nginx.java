package dev.sluice.benchmarks.proxy;

import dev.sluice.benchmarks.ProcStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An nginx of the comparison, in the foreground ({@code daemon off}) so that its master is a child of this program:
 * either the upstream (one worker answering a small 200) or the peer proxy ({@code limit_req}, keep-alive to the
 * upstream, {@code worker_processes auto}). Access logs off in both, as a proxy under load would run.
 */
final class Nginx implements AutoCloseable {
    /**
     * nginx closes a keep-alive connection after 1,000 requests by default ({@code keepalive_requests}, since 1.19.10):
     * left so, wrk's and the proxies' connections would be re-opened all along, which neither proxy is here to measure.
     */
    private static final String KEEPALIVE_REQUESTS = "keepalive_requests 100000000;\n";

    final Process process;
    final int port;

    private Nginx(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The upstream both proxies forward to: one worker on {@code cpus}, {@code ok} with keep-alive for every request. */
    static Nginx upstream(Path directory, int port, String cpus) throws IOException, InterruptedException {
        String server = """
                server {
                  listen 127.0.0.1:%d backlog=4096;
                  location / { return 200 "ok\\n"; }
                }
                """.formatted(port);
        return start(directory, "1", "", server, port, cpus);
    }

    /** The peer proxy: {@code mode}'s limits, then the upstream through a pool of kept-alive connections. */
    static Nginx proxy(Path directory, int port, int upstreamPort, Mode mode, String cpus) throws IOException, InterruptedException {
        String http = mode.nginxHttp() + """
                limit_req_status 429;
                upstream app {
                  server 127.0.0.1:%d;
                  keepalive 64;
                  %s}
                """.formatted(upstreamPort, KEEPALIVE_REQUESTS);
        String server = """
                server {
                  listen 127.0.0.1:%d backlog=4096;
                  # limit_req_zone's key for one shared limit: nginx does not count requests whose key is empty.
                  server_name bench;
                  location / {
                    %s
                    proxy_pass http://app;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                  }
                }
                """.formatted(port, mode.nginxLocation());
        return start(directory, "auto", http, server, port, cpus);
    }

    /**
     * The peer proxy of the gRPC modes: an HTTP/2 listener in cleartext (nginx 1.22's {@code listen ... http2}; 1.25.1
     * and later spell it {@code http2 on;}), {@code mode}'s limits, then {@code grpc_pass} to the gRPC upstream through
     * kept-alive connections. nginx sends one call per upstream connection (it does not multiplex streams upstream), so
     * the pool is that of the HTTP modes. A refused call gets {@code limit_req_status} 429, the HTTP status
     * nginx answers, which gRPC clients map to UNAVAILABLE.
     */
    static Nginx grpcProxy(Path directory, int port, int upstreamPort, Mode mode, String cpus) throws IOException, InterruptedException {
        String http = mode.nginxHttp() + """
                limit_req_status 429;
                upstream grpc_app {
                  server 127.0.0.1:%d;
                  keepalive 64;
                  %s}
                """.formatted(upstreamPort, KEEPALIVE_REQUESTS);
        String server = """
                server {
                  listen 127.0.0.1:%d http2 backlog=4096;
                  server_name bench;
                  location / {
                    %s
                    grpc_pass grpc://grpc_app;
                  }
                }
                """.formatted(port, mode.nginxLocation());
        return start(directory, "auto", http, server, port, cpus);
    }

    private static Nginx start(Path directory, String workers, String http, String server, int port, String cpus)
            throws IOException, InterruptedException {
        Files.createDirectories(directory.resolve("temp"));
        String temp = directory.resolve("temp").toString();
        String config = """
                worker_processes %s;
                pid %s;
                error_log %s warn;
                events { worker_connections 8192; }
                http {
                  access_log off;
                  default_type text/plain;
                  %s
                  client_body_temp_path %s/body;
                  proxy_temp_path %s/proxy;
                  fastcgi_temp_path %s/fastcgi;
                  uwsgi_temp_path %s/uwsgi;
                  scgi_temp_path %s/scgi;
                  %s
                  %s
                }
                """.formatted(workers, directory.resolve("nginx.pid"), directory.resolve("error.log"), KEEPALIVE_REQUESTS,
                temp, temp, temp, temp, temp, http, server);
        Path file = directory.resolve("nginx.conf");
        Files.writeString(file, config);
        Process process = new ProcessBuilder(List.of(Tools.TASKSET.path(), "-c", cpus, Tools.NGINX.path(), "-p", directory.toString(), "-c", file.toString(),
                "-g", "daemon off;"))
                .redirectErrorStream(true).redirectOutput(directory.resolve("stdout.log").toFile()).start();
        Nginx nginx = new Nginx(process, port);
        try {
            Ports.awaitListening(port, process, directory.resolve("error.log"));
        } catch (IOException | RuntimeException e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    /** The workers' count once started, to report what {@code worker_processes auto} chose under {@code taskset}. */
    int workers() {
        return ProcStats.children(process.pid()).size();
    }

    double cpuSeconds() {
        return ProcStats.treeCpuSeconds(process.pid());
    }

    @Override
    public void close() {
        Ports.stop(process);
    }
}
