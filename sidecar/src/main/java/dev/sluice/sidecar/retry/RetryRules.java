package dev.sluice.sidecar.retry;

import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.sidecar.limit.LimiterClock;
import io.undertow.util.HttpString;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.Collectors;

/**
 * A compiled retry policy: which methods and statuses may be retried (and which gRPC statuses, for gRPC
 * calls), how many attempts, the backoff between them, the largest body that is kept to be sent again,
 * and the budget shared by every request of the target.
 */
public final class RetryRules {
    private final RetryConfig config;
    private final Set<HttpString> methods;
    private final boolean[] statuses = new boolean[600];
    private final boolean[] grpcStatuses = new boolean[GrpcStatus.MAX_CODE + 1];
    private final Backoff backoff;
    private final RetryBudget budget;
    private final DoubleSupplier random;

    public RetryRules(RetryConfig config, LimiterClock clock) {
        this(config, clock, () -> ThreadLocalRandom.current().nextDouble());
    }

    public RetryRules(RetryConfig config, LimiterClock clock, DoubleSupplier random) {
        this.config = config;
        this.methods = config.methods().stream().map(HttpString::new).collect(Collectors.toUnmodifiableSet());
        config.retryOn().forEach(status -> statuses[status] = true);
        config.grpcRetryOn().forEach(status -> grpcStatuses[status.code()] = true);
        Duration base = LimitPeriod.parseDuration(config.backoffBase());
        Duration max = LimitPeriod.parseDuration(config.backoffMax());
        this.backoff = new Backoff(base, max, config.jitter());
        this.budget = new RetryBudget(config.budgetPercent(), config.minRetriesPerSecond(), clock);
        this.random = random;
    }

    public boolean allowsMethod(HttpString method) {
        return methods.contains(method);
    }

    public boolean retriesStatus(int status) {
        return status >= 0 && status < statuses.length && statuses[status];
    }

    /** Whether gRPC calls may be replayed at all: the policy names gRPC statuses. */
    public boolean retriesGrpc() {
        return config.retriesGrpc();
    }

    /** Whether a gRPC call that ended with {@code code} (its {@code grpc-status}) is retried. */
    public boolean retriesGrpcStatus(int code) {
        return code >= 0 && code < grpcStatuses.length && grpcStatuses[code];
    }

    public int maxAttempts() {
        return config.maxAttempts();
    }

    public int maxBodyBytes() {
        return config.maxBodyBytes();
    }

    /** The wait before retry {@code retry} (1-based). */
    public long delayNanos(int retry) {
        return backoff.delayNanos(retry, random);
    }

    public RetryBudget budget() {
        return budget;
    }

    public RetryConfig config() {
        return config;
    }
}
