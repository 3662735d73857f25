package dev.sluice.operator;

import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.RetryConfig;
import java.util.List;

/** A breaker's retries for tests: {@code Retries.of().maxAttempts(4).build()}; unset fields take the document's defaults. */
public final class Retries {
    private Integer maxAttempts;
    private String backoffBase;
    private String backoffMax;
    private Boolean jitter;
    private List<Integer> retryOn;
    private List<String> methods;
    private List<GrpcStatus> grpcRetryOn;
    private Integer budgetPercent;

    private Retries() {
    }

    public static Retries of() {
        return new Retries();
    }

    public Retries maxAttempts(int attempts) {
        this.maxAttempts = attempts;
        return this;
    }

    public Retries backoff(String base, String max) {
        this.backoffBase = base;
        this.backoffMax = max;
        return this;
    }

    public Retries jitter(boolean jitter) {
        this.jitter = jitter;
        return this;
    }

    public Retries retryOn(Integer... statuses) {
        this.retryOn = List.of(statuses);
        return this;
    }

    public Retries methods(String... methods) {
        this.methods = List.of(methods);
        return this;
    }

    public Retries grpcRetryOn(GrpcStatus... statuses) {
        this.grpcRetryOn = List.of(statuses);
        return this;
    }

    public Retries budgetPercent(int percent) {
        this.budgetPercent = percent;
        return this;
    }

    public RetryConfig build() {
        return new RetryConfig(maxAttempts, backoffBase, backoffMax, jitter, retryOn, methods, grpcRetryOn, budgetPercent, null, null);
    }
}
