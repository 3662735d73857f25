package dev.sluice.api.config;

/**
 * One Kubernetes resource rendered into an operator-written document, at the {@code metadata.generation}
 * its entry was rendered from ({@code kind}: {@code RateLimitPolicy} or {@code CircuitBreaker}). A sidecar
 * reports the list of the document it enforces, so the operator tracks enforcement per resource: the
 * document's own {@code generation} also moves when another resource changes or a Global policy's
 * replica count follows a rollout, which says nothing about this resource.
 */
public record RenderedResource(String kind, String name, Long generation) {
}
