package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * A rate-limit rule: the requests it applies to ({@code match}), how they are grouped ({@code key},
 * one compound key made of every dimension; none means one shared counter), and the limits each
 * group gets ({@code limits}, all of which must allow; or {@code tiers}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.tiers) != (has(self.limits) && size(self.limits) > 0)",
        message = "must have exactly one of limits or tiers")
@ValidationRule(value = "self.algorithm == 'TokenBucket' || ((!has(self.limits) || self.limits.all(l, !has(l.burst)))"
        + " && (!has(self.tiers) || self.tiers.values.all(t, t.limits.all(l, !has(l.burst)))))",
        message = "burst applies only to the TokenBucket algorithm")
@ValidationRule(value = "!has(self.timeZone) || self.algorithm == 'FixedWindow'",
        message = "timeZone applies only to the FixedWindow algorithm", fieldPath = ".timeZone")
public record RuleConfig(
        @JsonPropertyDescription("The rule's name, unique in its policy; it names the rule in rejections and metrics.")
        @Required @Pattern(Syntax.NAME_PATTERN)
        String name,
        @JsonPropertyDescription("Which requests the rule applies to; empty means every request.")
        MatchConfig match,
        @JsonPropertyDescription("The dimensions of one compound key (ClientIP, Header, PathSegment, Route); none means one shared limit.")
        @Size(max = 8)
        List<KeyDimension> key,
        @JsonPropertyDescription("Shared: requests lacking a key dimension share one counter; Skip: the rule does not apply to them.")
        @Default("Shared")
        MissingKey missingKey,
        @JsonPropertyDescription("TokenBucket (default), SlidingWindow, or FixedWindow for calendar-aligned quotas.")
        @Default("TokenBucket")
        Algorithm algorithm,
        @JsonPropertyDescription("Tokens each request takes.")
        @Default("1") @Min(1)
        Long cost,
        @JsonPropertyDescription("The limits; a request passes only if every one allows it. Exclusive with tiers.")
        @Size(max = 8)
        List<LimitConfig> limits,
        @JsonPropertyDescription("Limits chosen by the value of a request header. Exclusive with limits.")
        TiersConfig tiers,
        @JsonPropertyDescription("The limit_type metric label: Global, Endpoint or Client (default: derived from key and match).")
        LimitType limitType,
        @JsonPropertyDescription("FixedWindow only: the time zone whose calendar aligns the windows, e.g. Europe/Paris (default UTC).")
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
