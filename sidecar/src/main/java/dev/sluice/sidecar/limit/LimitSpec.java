package dev.sluice.sidecar.limit;

import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.LimitPeriod;

/**
 * A validated limit, with what its headers say precomputed: {@code policyItem} is its entry in the
 * IETF {@code RateLimit-Policy} field ({@code "name";q=requests;w=seconds}).
 */
public record LimitSpec(String name, long requests, String period, LimitPeriod parsedPeriod, long capacity, String policyItem) {

    public static LimitSpec of(String ruleName, LimitConfig limit) {
        LimitPeriod period = LimitPeriod.parse(limit.period());
        String name = limit.name() != null ? limit.name() : ruleName + "-" + limit.period();
        long capacity = limit.burst() != null ? limit.burst() : limit.requests();
        String item = "\"" + name + "\";q=" + limit.requests() + ";w=" + period.nominalSeconds();
        return new LimitSpec(name, limit.requests(), limit.period(), period, capacity, item);
    }

    /**
     * This limit divided among {@code replicas} sidecars, rounded up (at least 1): what each enforces
     * alone while the store that shares the limit is unreachable.
     */
    public LimitSpec share(int replicas) {
        if (replicas <= 1) {
            return this;
        }
        long shareRequests = Math.max(1, (requests + replicas - 1) / replicas);
        long shareCapacity = Math.max(1, (capacity + replicas - 1) / replicas);
        String item = "\"" + name + "\";q=" + shareRequests + ";w=" + parsedPeriod.nominalSeconds();
        return new LimitSpec(name, shareRequests, period, parsedPeriod, shareCapacity, item);
    }

    /** "10 requests per 1s", for messages. */
    public String describe() {
        return requests + " requests per " + period + (capacity != requests ? " (burst " + capacity + ")" : "");
    }
}
