package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Where {@link Scope#Global} policies keep their counters. The password is never part of the
 * document: it is read from {@code passwordFile} (a mounted Secret, read again at each connection) or
 * from the sidecar's {@code SLUICE_REDIS_PASSWORD} environment variable.
 *
 * @param mode Standalone (default), Sentinel or Cluster
 * @param addresses {@code host:port} of the server, the sentinels, or the cluster's seed nodes
 * @param sentinelMaster the master's name, Sentinel only
 * @param database the logical database, not in Cluster (default 0)
 * @param username the ACL user (default: Redis's {@code default} user)
 * @param passwordFile a file holding the password
 * @param tls TLS settings; absent means plain TCP
 * @param timeout the longest one decision waits for Redis before the policy's failure mode applies (default 100ms)
 * @param connectTimeout the longest a connection attempt takes (default 2s)
 * @param keyPrefix the first part of every key, to share one Redis between installations (default {@code sluice})
 * @param strategy how decisions use Redis (default Lease)
 * @param leasePercent Lease only: the most of a limit's capacity that all sidecars together may hold as leases, in percent (default 1)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RedisConfig(
        RedisMode mode,
        List<String> addresses,
        String sentinelMaster,
        Integer database,
        String username,
        String passwordFile,
        RedisTlsConfig tls,
        String timeout,
        String connectTimeout,
        String keyPrefix,
        GlobalStrategy strategy,
        Integer leasePercent) {

    public static final String DEFAULT_TIMEOUT = "100ms";
    public static final String DEFAULT_CONNECT_TIMEOUT = "2s";
    public static final String DEFAULT_KEY_PREFIX = "sluice";
    public static final int DEFAULT_LEASE_PERCENT = 1;
    public static final int DEFAULT_PORT = 6379;
    public static final int DEFAULT_SENTINEL_PORT = 26379;

    public RedisConfig {
        mode = mode == null ? RedisMode.Standalone : mode;
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        database = database == null ? 0 : database;
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        keyPrefix = keyPrefix == null ? DEFAULT_KEY_PREFIX : keyPrefix;
        strategy = strategy == null ? GlobalStrategy.Lease : strategy;
        leasePercent = leasePercent == null ? DEFAULT_LEASE_PERCENT : leasePercent;
    }

    /** A standalone server at {@code address}, everything else by default. */
    public static RedisConfig standalone(String address) {
        return new RedisConfig(null, List.of(address), null, null, null, null, null, null, null, null, null, null);
    }

    public RedisConfig withStrategy(GlobalStrategy strategy) {
        return new RedisConfig(mode, addresses, sentinelMaster, database, username, passwordFile, tls, timeout, connectTimeout,
                keyPrefix, strategy, leasePercent);
    }
}
