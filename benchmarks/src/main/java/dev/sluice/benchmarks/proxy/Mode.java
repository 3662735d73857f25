package dev.sluice.benchmarks.proxy;

/**
 * What both proxies enforce in one part of the comparison, written once for each: nginx's {@code limit_req} and the
 * sidecar's document hold the same limits, so that the two do the same work per request.
 */
enum Mode {
    /** One shared token bucket that the load never empties: every request is proxied. */
    ALLOWED("allowed", "one shared limit of 10,000,000/s, never reached: every request goes to the upstream"),
    /** One shared bucket of 100/s: almost every request gets a 429 without reaching the upstream. */
    REFUSED("refused", "one shared limit of 100/s (burst 100): almost every request is refused with 429"),
    /** A bucket per client address, taken from X-Forwarded-For set by a trusted proxy, 10,000 clients in turn. */
    CLIENTS("clients", "10,000 clients (X-Forwarded-For from a trusted 127.0.0.1), a limit of 1,000/s each, never reached"),
    /** The shared limit of ALLOWED as a Global policy in Redis (Lease strategy); nginx has no shared store, so its side is ALLOWED's. */
    GLOBAL("global", "a Global policy of 10,000,000/s in a local redis-server (Lease strategy), never reached; "
            + "nginx (no shared store) keeps its local limit_req"),
    /** ALLOWED's limit on unary gRPC calls: nginx's grpc_pass and the sidecar's h2c upstream to grpc-go's benchmark server. */
    GRPC_ALLOWED("grpc-allowed", "unary gRPC calls to grpc-go's benchmark server, one shared limit of 10,000,000/s, never reached: "
            + "every call goes to the upstream (nginx grpc_pass, the sidecar --upstream h2c://)"),
    /** REFUSED's limit on unary gRPC calls: almost every call is refused, each proxy the way it refuses a gRPC call. */
    GRPC_REFUSED("grpc-refused", "unary gRPC calls, one shared limit of 100/s (burst 100): almost every call is refused, "
            + "by nginx with HTTP 429, by the sidecar with grpc-status 8 (RESOURCE_EXHAUSTED)");

    static final long NEVER_REACHED = 10_000_000;
    static final int CLIENT_COUNT = 10_000;
    private static final String MAPPED = "limits() maps the gRPC modes to the HTTP modes whose limits they enforce";

    final String id;
    final String description;

    Mode(String id, String description) {
        this.id = id;
        this.description = description;
    }

    static Mode of(String id) {
        for (Mode mode : values()) {
            if (mode.id.equals(id)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("--mode '" + id + "' is not one of allowed, refused, clients, global, grpc-allowed, "
                + "grpc-refused, all (the first four) or grpc (the last two)");
    }

    /** gRPC over HTTP/2 in cleartext to a gRPC upstream, rather than HTTP/1.1 to nginx's 200. */
    boolean grpc() {
        return this == GRPC_ALLOWED || this == GRPC_REFUSED;
    }

    /** The HTTP mode whose limits a gRPC mode enforces; the mode itself for the others. */
    private Mode limits() {
        return switch (this) {
            case GRPC_ALLOWED -> ALLOWED;
            case GRPC_REFUSED -> REFUSED;
            default -> this;
        };
    }

    boolean distinctClients() {
        return this == CLIENTS;
    }

    boolean needsRedis() {
        return this == GLOBAL;
    }

    /** The {@code http} block's part of nginx's configuration: the zone and, for clients, where the client address comes from. */
    String nginxHttp() {
        return switch (limits()) {
            case ALLOWED, GLOBAL -> "limit_req_zone $server_name zone=bench:1m rate=" + NEVER_REACHED + "r/s;\n";
            case REFUSED -> "limit_req_zone $server_name zone=bench:1m rate=100r/s;\n";
            // Up to 10,000 client states: 64 bytes each on 64-bit, so 10m holds ample room (nginx's documented sizing).
            case CLIENTS -> """
                    set_real_ip_from 127.0.0.1;
                    real_ip_header X-Forwarded-For;
                    limit_req_zone $binary_remote_addr zone=bench:10m rate=1000r/s;
                    """;
            case GRPC_ALLOWED, GRPC_REFUSED -> throw new AssertionError(MAPPED);
        };
    }

    /** The {@code location}'s {@code limit_req}: {@code nodelay} answers at once, as a token bucket does. */
    String nginxLocation() {
        return switch (limits()) {
            case ALLOWED, GLOBAL -> "limit_req zone=bench burst=" + NEVER_REACHED + " nodelay;\n";
            case REFUSED -> "limit_req zone=bench burst=100 nodelay;\n";
            case CLIENTS -> "limit_req zone=bench burst=1000 nodelay;\n";
            case GRPC_ALLOWED, GRPC_REFUSED -> throw new AssertionError(MAPPED);
        };
    }

    /** The sidecar's document; {@code redisAddress} is the local redis-server's host:port in the Global mode, else unused. */
    String sidecarDocument(String redisAddress) {
        return switch (limits()) {
            case ALLOWED -> """
                    policies:
                      - name: bench
                        rules:
                          - name: all
                            limits: [{requests: %d, period: 1s, burst: %d}]
                    """.formatted(NEVER_REACHED, NEVER_REACHED);
            case REFUSED -> """
                    policies:
                      - name: bench
                        rules:
                          - name: all
                            limits: [{requests: 100, period: 1s, burst: 100}]
                    """;
            case CLIENTS -> """
                    trustedProxies: [127.0.0.1/32]
                    policies:
                      - name: bench
                        rules:
                          - name: per-client
                            key: [{type: ClientIP}]
                            limits: [{requests: 1000, period: 1s, burst: 1000}]
                    """;
            case GLOBAL -> """
                    redis:
                      addresses: ["%s"]
                      strategy: Lease
                    policies:
                      - name: bench
                        scope: Global
                        replicas: 1
                        rules:
                          - name: all
                            limits: [{requests: %d, period: 1s, burst: %d}]
                    """.formatted(redisAddress, NEVER_REACHED, NEVER_REACHED);
            case GRPC_ALLOWED, GRPC_REFUSED -> throw new AssertionError(MAPPED);
        };
    }
}
