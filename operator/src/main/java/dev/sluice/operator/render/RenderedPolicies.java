package dev.sluice.operator.render;

import dev.sluice.api.config.SidecarConfig;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The sidecar configuration of one namespace, with a verdict for each resource rendered into it.
 *
 * @param document what the ConfigMap should hold
 * @param changed whether it differs from the previous document (its generation was then raised)
 * @param policies the verdict of each RateLimitPolicy, by name
 * @param breakers the verdict of each CircuitBreaker, by name
 */
public record RenderedPolicies(SidecarConfig document, boolean changed, Map<String, Verdict> policies, Map<String, Verdict> breakers) {
    public RenderedPolicies {
        policies = Map.copyOf(policies);
        breakers = Map.copyOf(breakers);
    }

    public Verdict policy(String name) {
        return verdict(policies, "RateLimitPolicy", name);
    }

    public Verdict breaker(String name) {
        return verdict(breakers, "CircuitBreaker", name);
    }

    /** Invalid policies whose last valid version stays in the document. */
    public Set<String> keptPrevious() {
        return named(policies, Verdict.Outcome.KEPT_PREVIOUS);
    }

    /** Invalid policies with no previous version: nothing is enforced for them. */
    public Set<String> withheld() {
        return named(policies, Verdict.Outcome.WITHHELD);
    }

    public Set<String> keptPreviousBreakers() {
        return named(breakers, Verdict.Outcome.KEPT_PREVIOUS);
    }

    public Set<String> withheldBreakers() {
        return named(breakers, Verdict.Outcome.WITHHELD);
    }

    private static Verdict verdict(Map<String, Verdict> verdicts, String kind, String name) {
        Verdict verdict = verdicts.get(name);
        if (verdict == null) {
            throw new IllegalArgumentException(kind + " " + name + " was not part of this rendering");
        }
        return verdict;
    }

    private static Set<String> named(Map<String, Verdict> verdicts, Verdict.Outcome outcome) {
        return verdicts.entrySet().stream()
                .filter(entry -> entry.getValue().outcome() == outcome)
                .map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }
}
