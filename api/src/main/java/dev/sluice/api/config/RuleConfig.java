package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A rate-limit rule: the requests it applies to ({@code match}), how they are grouped ({@code key},
 * one compound key made of every dimension; none means one shared counter), and the limits each
 * group gets ({@code limits}, all of which must allow; or {@code tiers}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RuleConfig(
        String name,
        MatchConfig match,
        List<KeyDimension> key,
        MissingKey missingKey,
        Algorithm algorithm,
        Long cost,
        List<LimitConfig> limits,
        TiersConfig tiers,
        LimitType limitType,
        String timeZone) {

    public static final long DEFAULT_COST = 1;

    public RuleConfig {
        match = match == null ? MatchConfig.any() : match;
        key = key == null ? List.of() : List.copyOf(key);
        missingKey = missingKey == null ? MissingKey.Shared : missingKey;
        algorithm = algorithm == null ? Algorithm.TokenBucket : algorithm;
        cost = cost == null ? DEFAULT_COST : cost;
        limits = limits == null ? List.of() : List.copyOf(limits);
    }

    /** The level this rule limits at: as configured, or derived from its key and match. */
    public LimitType effectiveLimitType() {
        if (limitType != null) {
            return limitType;
        }
        boolean perClient = key.stream().anyMatch(d -> d.type() == KeyType.ClientIP || d.type() == KeyType.Header);
        if (perClient) {
            return LimitType.Client;
        }
        boolean perEndpoint = !key.isEmpty() || match.path() != null;
        return perEndpoint ? LimitType.Endpoint : LimitType.Global;
    }
}
