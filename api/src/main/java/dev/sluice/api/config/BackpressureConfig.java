package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A policy's protection against overload: a cap on requests in flight with a bounded wait queue
 * ({@code concurrency}), shedding of lower priorities first as the cap fills ({@code shedding}), and a
 * cap that follows the app's latency ({@code adaptive}). With both caps, the lower one holds.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackpressureConfig(ConcurrencyConfig concurrency, SheddingConfig shedding, AdaptiveConfig adaptive) {
}
