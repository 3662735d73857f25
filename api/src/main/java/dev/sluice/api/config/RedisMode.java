package dev.sluice.api.config;

/** How the sidecars reach Redis. */
public enum RedisMode {
    /** One server (or a proxy in front of several): {@code addresses} has one entry. */
    Standalone,
    /** Sentinels that name the current master of {@code sentinelMaster}: {@code addresses} lists the sentinels. */
    Sentinel,
    /** Redis Cluster: {@code addresses} lists seed nodes; the rest of the topology is discovered. */
    Cluster
}
