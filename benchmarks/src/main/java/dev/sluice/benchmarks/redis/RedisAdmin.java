package dev.sluice.benchmarks.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.Set;

/** What the benchmark asks Redis directly: resetting it between strategies and reading its command statistics. */
final class RedisAdmin implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> commands;

    RedisAdmin(String address) {
        String[] parts = address.split(":");
        this.client = RedisClient.create(RedisURI.create(parts[0], Integer.parseInt(parts[1])));
        this.connection = client.connect();
        this.commands = connection.sync();
    }

    String version() {
        for (String line : commands.info("server").split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                return line.substring("redis_version:".length());
            }
        }
        return "unknown";
    }

    void command(String name, String... arguments) {
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8);
        for (String argument : arguments) {
            args.add(argument);
        }
        commands.dispatch(CommandType.valueOf(name), new StatusOutput<>(StringCodec.UTF8), args);
    }

    /**
     * What Redis ran since the last CONFIG RESETSTAT, {@code housekeeping} commands left out: {@code all}
     * as {@code INFO commandstats} counts them (commands run inside scripts included), and
     * {@code fromClients}, the commands clients sent, i.e. round trips. Scripts' own commands are told
     * apart by what each script runs: take.lua runs HMGET, HSET and PEXPIRE, and is sent as EVALSHA (or
     * EVAL once per node); Bucket4j sends GET, then EVAL of a script that runs GET and PSETEX (or a
     * first SET NX), so of the GETs, as many as the EVALs that did not run SET came from scripts.
     */
    Counts counts(Set<String> housekeeping) {
        java.util.Map<String, Long> calls = new java.util.HashMap<>();
        for (String line : commands.info("commandstats").split("\r?\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            String name = line.substring("cmdstat_".length(), line.indexOf(':'));
            String base = name.contains("|") ? name.substring(0, name.indexOf('|')) : name;
            if (housekeeping.contains(base)) {
                continue;
            }
            int at = line.indexOf("calls=") + "calls=".length();
            calls.merge(base, Long.parseLong(line.substring(at, line.indexOf(',', at))), Long::sum);
        }
        long all = calls.values().stream().mapToLong(Long::longValue).sum();
        long eval = calls.getOrDefault("eval", 0L);
        long evalsha = calls.getOrDefault("evalsha", 0L);
        long topLevelGets = Math.max(0, calls.getOrDefault("get", 0L) - (eval - calls.getOrDefault("set", 0L)));
        return new Counts(all, eval + evalsha + topLevelGets);
    }

    record Counts(long all, long fromClients) {
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
