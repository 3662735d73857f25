package dev.sluice.sidecar.limit;

import dev.sluice.api.config.Algorithm;
import java.time.ZoneId;

/**
 * A Global rule as its store needs it: who owns it (for the key names), how it counts, and the
 * limits of each tier ({@code tierNames[i]} has {@code specs[i]}; a key's first character is its tier).
 */
public record SharedRuleSpec(String namespace, String policy, String rule, Algorithm algorithm, ZoneId zone,
                             String[] tierNames, LimitSpec[][] specs, long cost, int replicas) {
}
