package dev.sluice.sidecar.http;

import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.retry.RetryRules;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;

/**
 * What guards the calls to one target (the pod's app, or an outbound route): its circuit breaker, the
 * per-attempt timeout, the retry policy (or none) and the connections to the upstream. Exports
 * {@code retry_attempts_total{target, success}} and {@code sluice_retries_denied_total{target, reason}}.
 */
public final class Guard implements AutoCloseable {
    private final Breaker breaker;
    private final RetryRules retry;
    private final long timeoutNanos;
    private final UpstreamClient client;
    private final Counter retrySucceeded;
    private final Counter retryFailed;
    private final Counter deniedByBudget;
    private final Counter exhausted;

    public Guard(Breaker breaker, RetryRules retry, Duration timeout, UpstreamClient client, MeterRegistry registry) {
        this.breaker = breaker;
        this.retry = retry;
        this.timeoutNanos = timeout.toNanos();
        this.client = client;
        String target = breaker.target();
        this.retrySucceeded = Counter.builder("retry_attempts").description("Retries (attempts after the first) by outcome")
                .tag("target", target).tag("success", "true").register(registry);
        this.retryFailed = Counter.builder("retry_attempts").description("Retries (attempts after the first) by outcome")
                .tag("target", target).tag("success", "false").register(registry);
        this.deniedByBudget = Counter.builder("sluice_retries_denied").description("Retries not made, by reason")
                .tag("target", target).tag("reason", "budget").register(registry);
        this.exhausted = Counter.builder("sluice_retries_denied").description("Retries not made, by reason")
                .tag("target", target).tag("reason", "attempts").register(registry);
    }

    public Breaker breaker() {
        return breaker;
    }

    /** The retry policy, or null when failed calls are not retried. */
    public RetryRules retry() {
        return retry;
    }

    public long timeoutNanos() {
        return timeoutNanos;
    }

    UpstreamClient client() {
        return client;
    }

    void retried(boolean success) {
        (success ? retrySucceeded : retryFailed).increment();
    }

    void deniedByBudget() {
        deniedByBudget.increment();
    }

    void exhausted() {
        exhausted.increment();
    }

    /** The retry counters, shared by name and labels with the guard of the same target in the previous configuration. */
    public List<Meter> counters() {
        return List.of(retrySucceeded, retryFailed, deniedByBudget, exhausted);
    }

    @Override
    public void close() {
        client.close();
    }
}
