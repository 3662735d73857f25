package dev.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.RetryConfig;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A circuit breaker in the manner of Resilience4j: over a sliding window of calls, when the failure
 * rate (or the slow-call rate) reaches its threshold after at least {@code minimumNumberOfCalls},
 * the circuit opens and calls fail fast with 503 for {@code waitDurationInOpenState}; then
 * {@code permittedCallsInHalfOpen} trial calls decide whether it closes again.
 *
 * <p>The spec is the sidecar document's own {@link BreakerConfig}, unwrapped: its fields, with their
 * schema annotations and defaults, sit directly under {@code spec}, so the resource and the rendered
 * document cannot drift apart and a field added to the document is a field of the resource. Two parts
 * have another shape in the resource and are its own: {@code target}, which nests the route under it,
 * and {@code retry}, without the document's two sidecar-only settings. The document's name, namespace,
 * target, route and retry are not part of the resource; {@link #toBreakerConfig} fills them in.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.slowCallRateThreshold) == has(self.slowCallDuration)",
        message = "slowCallRateThreshold and slowCallDuration go together: a call is slow when it takes longer than slowCallDuration", fieldPath = ".slowCallDuration")
public record CircuitBreakerSpec(
        @JsonPropertyDescription("What the breaker guards: the pod's inbound traffic, or one outbound route.")
        @Required
        BreakerTarget target,
        @JsonPropertyDescription("Retries of failed calls, with exponential backoff and a budget.")
        @JsonIgnoreProperties({"minRetriesPerSecond", "maxBodyBytes"})
        RetryConfig retry,
        @JsonUnwrapped
        @JsonIgnoreProperties({"name", "namespace", "target", "route", "retry"})
        BreakerConfig breaker) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public CircuitBreakerSpec {
        breaker = breaker == null ? BreakerConfig.builder().build() : breaker;
    }

    /**
     * Reads a spec: its target and retry, and the rest as the breaker. Jackson reads an unwrapped record
     * component itself, but not through the Kubernetes client's serialization, whose
     * {@code UnmatchedFieldTypeModule} wraps every property and so hides that {@code breaker} is an
     * unwrapped creator parameter ("No fallback setter/field defined for creator property 'breaker'";
     * the same wrapper as in fabric8io/kubernetes-client#6342).
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static CircuitBreakerSpec read(ObjectNode spec) throws JsonProcessingException {
        ObjectNode breaker = spec.deepCopy();
        JsonNode target = breaker.remove("target");
        JsonNode retry = breaker.remove("retry");
        return new CircuitBreakerSpec(JSON.treeToValue(target, BreakerTarget.class), JSON.treeToValue(retry, RetryConfig.class),
                JSON.treeToValue(breaker, BreakerConfig.class));
    }

    /**
     * The sidecar document's entry for this breaker: the spec's breaker, named after the resource, with
     * the target's type and route side by side as the document has them, and the spec's retry.
     */
    public BreakerConfig toBreakerConfig(String namespace, String name) {
        boolean outbound = target != null && target.type() == BreakerTargetType.Outbound;
        return breaker.toBuilder().name(name).namespace(namespace)
                .target(outbound ? BreakerTargetType.Outbound : BreakerTargetType.Inbound).route(outbound ? target.route() : null)
                .retry(retry).build();
    }
}
