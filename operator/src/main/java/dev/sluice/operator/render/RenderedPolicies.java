package dev.sluice.operator.render;

import dev.sluice.api.config.SidecarConfig;
import java.util.Set;

/**
 * The sidecar configuration of one namespace.
 *
 * @param document what the ConfigMap should hold
 * @param changed whether it differs from the previous document (its generation was then raised)
 * @param keptPrevious invalid policies whose last valid version stays in the document
 * @param withheld invalid policies with no previous version: nothing is enforced for them
 * @param keptPreviousBreakers invalid CircuitBreakers whose last valid version stays in the document
 * @param withheldBreakers invalid CircuitBreakers with no previous version
 */
public record RenderedPolicies(SidecarConfig document, boolean changed, Set<String> keptPrevious, Set<String> withheld,
                               Set<String> keptPreviousBreakers, Set<String> withheldBreakers) {
    public RenderedPolicies {
        keptPrevious = Set.copyOf(keptPrevious);
        withheld = Set.copyOf(withheld);
        keptPreviousBreakers = Set.copyOf(keptPreviousBreakers);
        withheldBreakers = Set.copyOf(withheldBreakers);
    }

    /** A rendering without circuit breakers. */
    public RenderedPolicies(SidecarConfig document, boolean changed, Set<String> keptPrevious, Set<String> withheld) {
        this(document, changed, keptPrevious, withheld, Set.of(), Set.of());
    }
}
