/**
 * The {@code sluice.dev/v1alpha1} resources: {@link dev.sluice.api.v1alpha1.RateLimitPolicy} and
 * {@link dev.sluice.api.v1alpha1.CircuitBreaker}. Their CRDs are generated from these classes into
 * {@code crds/}. A RateLimitPolicy's rules are the sidecar configuration's own records
 * ({@code dev.sluice.api.config}), so that what a user writes is what the sidecar enforces.
 */
package dev.sluice.api.v1alpha1;
