package dev.sluice.sidecar.limit;

import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.TierConfig;
import dev.sluice.api.config.TiersConfig;
import dev.sluice.sidecar.match.RequestView;
import java.util.List;

/**
 * A rule's tier table, computed once when the rule is compiled: the header that picks a tier, the
 * tiers' names, the default, and the limits of each tier. A rule without tiers has one unnamed tier.
 * A key's first character is its tier's index into these arrays.
 */
final class Tiers {
    private static final String[] UNNAMED = {""};

    private final String header;
    private final String[] names;
    private final int defaultTier;
    private final LimitSpec[][] specs;

    private Tiers(String header, String[] names, int defaultTier, LimitSpec[][] specs) {
        this.header = header;
        this.names = names;
        this.defaultTier = defaultTier;
        this.specs = specs;
    }

    static Tiers of(RuleConfig config) {
        TiersConfig tiers = config.tiers();
        if (tiers == null) {
            return new Tiers(null, UNNAMED, 0, new LimitSpec[][] {specs(config.name(), config.limits())});
        }
        String[] names = tiers.values().stream().map(TierConfig::name).toArray(String[]::new);
        LimitSpec[][] specs = tiers.values().stream().map(t -> specs(config.name() + "-" + t.name(), t.limits())).toArray(LimitSpec[][]::new);
        return new Tiers(tiers.header(), names, List.of(names).indexOf(tiers.defaultTier()), specs);
    }

    private static LimitSpec[] specs(String name, List<LimitConfig> limits) {
        return limits.stream().map(limit -> LimitSpec.of(name, limit)).toArray(LimitSpec[]::new);
    }

    /** The same tiers with each limit divided among {@code replicas}: a Global rule's local share. */
    Tiers share(int replicas) {
        LimitSpec[][] shares = new LimitSpec[specs.length][];
        for (int tier = 0; tier < specs.length; tier++) {
            shares[tier] = new LimitSpec[specs[tier].length];
            for (int i = 0; i < specs[tier].length; i++) {
                shares[tier][i] = specs[tier][i].share(replicas);
            }
        }
        return new Tiers(header, names, defaultTier, shares);
    }

    /** The tier of a request: the one its header names, else the default. */
    int of(RequestView request) {
        if (header == null) {
            return 0;
        }
        String value = request.header(header);
        if (value != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(value)) {
                    return i;
                }
            }
        }
        return defaultTier;
    }

    int count() {
        return specs.length;
    }

    LimitSpec[] specs(int tier) {
        return specs[tier];
    }

    /** Every tier's limits; not to be modified. */
    LimitSpec[][] specs() {
        return specs;
    }

    /** Every tier's name; not to be modified. */
    String[] names() {
        return names;
    }
}
