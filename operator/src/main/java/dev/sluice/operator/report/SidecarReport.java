package dev.sluice.operator.report;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.api.config.RenderedResource;
import java.util.List;
import java.util.Optional;

/**
 * What a sidecar's {@code GET /report} (admin port) says: its build, the newest document version it reads, the document in
 * force with the resources rendered into it, the last document it refused, and its cumulative per-rule counters and
 * circuit states. Read leniently: a newer sidecar may say more.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SidecarReport(String sidecarVersion, Integer documentVersion, InForce config, Refusal refused, List<RuleCounters> rules,
                            List<BreakerState> breakers, Boolean draining) {
    public SidecarReport {
        rules = rules == null ? List.of() : List.copyOf(rules);
        breakers = breakers == null ? List.of() : List.copyOf(breakers);
    }

    /** The generation of {@code kind/name} in the document in force; empty when none is in force or it does not list the resource. */
    public Optional<Long> enforced(String kind, String name) {
        return config == null ? Optional.empty() : generationIn(config.resources(), kind, name);
    }

    static Optional<Long> generationIn(List<RenderedResource> resources, String kind, String name) {
        return resources.stream()
                .filter(resource -> kind.equals(resource.kind()) && name.equals(resource.name()) && resource.generation() != null)
                .map(RenderedResource::generation)
                .findFirst();
    }

    /** The document in force. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record InForce(Long generation, Integer version, String source, String configMapUid, String loadedAt,
                          List<RenderedResource> resources, List<String> ignoredFields) {
        public InForce {
            resources = resources == null ? List.of() : List.copyOf(resources);
            ignoredFields = ignoredFields == null ? List.of() : List.copyOf(ignoredFields);
        }
    }

    /** The last document refused after the one in force was loaded; {@code resources} is empty when it did not parse that far. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Refusal(String at, Long generation, String message, List<RenderedResource> resources) {
        public Refusal {
            resources = resources == null ? List.of() : List.copyOf(resources);
        }
    }

    /** One rule's counters since the sidecar started; {@code policy} is the RateLimitPolicy's name. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RuleCounters(String policy, String rule, String mode, long requests, long rejected, long shadowRejected, long fallbacks) {
    }

    /** One CircuitBreaker's circuit in this sidecar. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BreakerState(String breaker, String state, String since) {
        /** Whether calls are refused now: open, or forced open. */
        public boolean open() {
            return "open".equals(state) || "forced_open".equals(state);
        }
    }
}
