package dev.sluice.api.config;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Semantic validation of a configuration document, as a pure function: every error found, each
 * with the path of its field, the value and what is allowed. Shared by the sidecar (which refuses
 * an invalid file) and the operator (which reports an invalid resource).
 */
public final class ConfigValidator {
    /** Longer than this and a window-counted period stops making sense for a per-pod counter. */
    private static final int MAX_MONTHS = 12;
    private static final long MAX_REDIS_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_REPLICAS = 100_000;
    private static final int MAX_LEASE_PERCENT = 50;
    /** From this period on, a Local limit outlives pods often enough that restarts matter. */
    private static final Duration LONG_LOCAL_PERIOD = Duration.ofHours(1);

    private final List<FieldError> errors = new ArrayList<>();

    private ConfigValidator() {
    }

    public static List<FieldError> validate(SidecarConfig config) {
        ConfigValidator validator = new ConfigValidator();
        validator.document(config);
        return List.copyOf(validator.errors);
    }

    /** Validates the rules of one policy, for callers (the operator) that check one resource at a time; paths start at {@code prefix}. */
    public static List<FieldError> validateRules(List<RuleConfig> rules, String prefix) {
        ConfigValidator validator = new ConfigValidator();
        validator.rules(rules, prefix);
        return List.copyOf(validator.errors);
    }

    /**
     * What a valid policy's rules allow but a user probably does not mean, each with its field (paths
     * start at {@code prefix}): a Local limit of an hour or longer lives in each pod's memory, so a
     * restart or rollout gives every client a fresh quota. Shown by the sidecar ({@code /config}) and
     * in the resource's status; the rules must be valid.
     */
    public static List<FieldError> warnings(Scope scope, List<RuleConfig> rules, String prefix) {
        List<FieldError> warnings = new ArrayList<>();
        if (scope == Scope.Global) {
            return warnings;
        }
        for (int i = 0; i < rules.size(); i++) {
            RuleConfig rule = rules.get(i);
            String path = prefix + "[" + i + "]";
            if (rule.tiers() == null) {
                longLocalLimits(rule.limits(), path + ".limits", warnings);
                continue;
            }
            for (int t = 0; t < rule.tiers().values().size(); t++) {
                longLocalLimits(rule.tiers().values().get(t).limits(), path + ".tiers.values[" + t + "].limits", warnings);
            }
        }
        return List.copyOf(warnings);
    }

    private static void longLocalLimits(List<LimitConfig> limits, String prefix, List<FieldError> warnings) {
        for (int i = 0; i < limits.size(); i++) {
            String period = limits.get(i).period();
            LimitPeriod parsed = LimitPeriod.parse(period);
            if (parsed.isCalendarMonths() || parsed.duration().compareTo(LONG_LOCAL_PERIOD) >= 0) {
                warnings.add(new FieldError(prefix + "[" + i + "].period", period + " with scope Local is counted in each pod's memory:"
                        + " a restart or rollout of the pod starts it afresh, with a full quota for every client;"
                        + " use scope: Global to keep it in Redis across restarts"));
            }
        }
    }

    public static List<FieldError> validateSelector(LabelSelector selector, String prefix) {
        ConfigValidator validator = new ConfigValidator();
        validator.selector(selector, prefix);
        return List.copyOf(validator.errors);
    }

    private void document(SidecarConfig config) {
        if (config.version() != null && config.version() < 1) {
            error("version", "must be at least 1 (the document format; " + SidecarConfig.DOCUMENT_VERSION
                    + " is the newest this build reads), got " + config.version());
        }
        if (config.generation() != null && config.generation() < 0) {
            error("generation", "must be zero or more, got " + config.generation());
        }
        for (int i = 0; i < config.trustedProxies().size(); i++) {
            String cidr = config.trustedProxies().get(i);
            try {
                Cidr.parse(cidr);
            } catch (IllegalArgumentException e) {
                error("trustedProxies[" + i + "]", e.getMessage());
            }
        }
        KeySettings keys = config.keys();
        if (keys.maxPerRule() < 1 || keys.maxPerRule() > 10_000_000) {
            error("keys.maxPerRule", "must be between 1 and 10000000, got " + keys.maxPerRule());
        }
        duration(keys.idleTimeout(), "keys.idleTimeout");

        Set<String> names = new HashSet<>();
        for (int i = 0; i < config.policies().size(); i++) {
            PolicyConfig policy = config.policies().get(i);
            String path = "policies[" + i + "]";
            if (policy == null) {
                error(path, "must not be empty");
                continue;
            }
            name(policy.name(), path + ".name");
            if (policy.name() != null && !names.add(policy.qualifiedName())) {
                error(path + ".name", "'" + policy.qualifiedName() + "' is used by more than one policy");
            }
            selector(policy.podSelector(), path + ".podSelector");
            if (policy.rules().isEmpty()) {
                error(path + ".rules", "must have at least one rule");
            }
            rules(policy.rules(), path + ".rules");
            global(policy, config.redis(), path);
            if (policy.backpressure() != null) {
                errors.addAll(ResilienceValidator.validateBackpressure(policy.backpressure(), path + ".backpressure"));
            }
        }
        errors.addAll(ResilienceValidator.validateBreakers(config.breakers(), "breakers"));
        if (config.redis() != null) {
            redis(config.redis(), "redis");
        }
    }

    private void global(PolicyConfig policy, RedisConfig redis, String path) {
        if (policy.replicas() != null && (policy.replicas() < 1 || policy.replicas() > MAX_REPLICAS)) {
            error(path + ".replicas", "must be between 1 and " + MAX_REPLICAS + ", got " + policy.replicas());
        }
        if (policy.scope() != Scope.Global) {
            return;
        }
        // Without a redis section the document stays valid (the operator may not render one yet): the
        // sidecar warns and applies the policy's failure mode, as if Redis were unreachable.
        if (redis != null && redis.strategy() == GlobalStrategy.Bucket4j) {
            for (int i = 0; i < policy.rules().size(); i++) {
                RuleConfig rule = policy.rules().get(i);
                if (rule != null && rule.algorithm() != Algorithm.TokenBucket) {
                    error(path + ".rules[" + i + "].algorithm", "redis.strategy Bucket4j keeps token buckets only, not "
                            + rule.algorithm() + "; use strategy Lease or Script");
                }
            }
        }
    }

    private void redis(RedisConfig redis, String path) {
        if (redis.addresses().isEmpty()) {
            error(path + ".addresses", "must name at least one host:port");
        }
        int defaultPort = redis.mode() == RedisMode.Sentinel ? RedisConfig.DEFAULT_SENTINEL_PORT : RedisConfig.DEFAULT_PORT;
        for (int i = 0; i < redis.addresses().size(); i++) {
            try {
                RedisAddress.parse(redis.addresses().get(i), defaultPort);
            } catch (IllegalArgumentException e) {
                error(path + ".addresses[" + i + "]", e.getMessage());
            }
        }
        if (redis.mode() == RedisMode.Standalone && redis.addresses().size() > 1) {
            error(path + ".addresses", "Standalone takes one address, got " + redis.addresses().size()
                    + "; use mode Sentinel or Cluster for several nodes");
        }
        if (redis.mode() == RedisMode.Sentinel && blank(redis.sentinelMaster())) {
            error(path + ".sentinelMaster", "is required for mode Sentinel: the name the sentinels monitor the master by");
        }
        if (redis.mode() != RedisMode.Sentinel && redis.sentinelMaster() != null) {
            error(path + ".sentinelMaster", "applies only to mode Sentinel, not " + redis.mode());
        }
        if (redis.database() < 0 || redis.database() > 15) {
            error(path + ".database", "must be between 0 and 15, got " + redis.database());
        } else if (redis.mode() == RedisMode.Cluster && redis.database() != 0) {
            error(path + ".database", "must be 0 in mode Cluster, got " + redis.database());
        }
        if (redis.passwordFile() != null && redis.passwordFile().isBlank()) {
            error(path + ".passwordFile", "must not be blank");
        }
        redisDuration(redis.timeout(), path + ".timeout");
        redisDuration(redis.connectTimeout(), path + ".connectTimeout");
        if (blank(redis.keyPrefix()) || redis.keyPrefix().contains("{") || redis.keyPrefix().contains("}")
                || redis.keyPrefix().chars().anyMatch(Character::isWhitespace)) {
            error(path + ".keyPrefix", "'" + redis.keyPrefix() + "' must be non-empty, without spaces, { or } (they delimit Cluster hash tags)");
        }
        if (redis.leasePercent() < 1 || redis.leasePercent() > MAX_LEASE_PERCENT) {
            error(path + ".leasePercent", "must be between 1 and " + MAX_LEASE_PERCENT + ", got " + redis.leasePercent());
        }
        RedisTlsConfig tls = redis.tls();
        if (tls != null) {
            if ((tls.certFile() == null) != (tls.keyFile() == null)) {
                error(path + ".tls", "certFile and keyFile go together (the client certificate and its key)");
            }
            if (!tls.enabled() && (tls.caFile() != null || tls.certFile() != null)) {
                error(path + ".tls.enabled", "is false but files are given: remove them or enable TLS");
            }
        }
    }

    private void redisDuration(String text, String path) {
        try {
            long millis = LimitPeriod.parseDuration(text).toMillis();
            if (millis < 1 || millis > MAX_REDIS_TIMEOUT_MILLIS) {
                error(path, "must be between 1ms and " + MAX_REDIS_TIMEOUT_MILLIS / 1000 + "s, got " + text);
            }
        } catch (IllegalArgumentException e) {
            error(path, e.getMessage());
        }
    }

    private void rules(List<RuleConfig> rules, String prefix) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            RuleConfig rule = rules.get(i);
            String path = prefix + "[" + i + "]";
            if (rule == null) {
                error(path, "must not be empty");
                continue;
            }
            name(rule.name(), path + ".name");
            if (rule.name() != null && !names.add(rule.name())) {
                error(path + ".name", "'" + rule.name() + "' is used by more than one rule of this policy");
            }
            match(rule.match(), path + ".match");
            key(rule.key(), path + ".key");
            if (rule.cost() < 1) {
                error(path + ".cost", "must be at least 1, got " + rule.cost());
            }
            if (rule.timeZone() != null) {
                if (rule.algorithm() != Algorithm.FixedWindow) {
                    error(path + ".timeZone", "applies only to the FixedWindow algorithm, not " + rule.algorithm());
                }
                try {
                    ZoneId.of(rule.timeZone());
                } catch (DateTimeException e) {
                    error(path + ".timeZone", "'" + rule.timeZone() + "' is not a time zone (e.g. UTC, Europe/Paris)");
                }
            }
            TiersConfig tiers = rule.tiers();
            if (tiers == null) {
                if (rule.limits().isEmpty()) {
                    error(path + ".limits", "must have at least one limit (or use tiers)");
                }
                limits(rule, rule.limits(), path + ".limits");
            } else {
                if (!rule.limits().isEmpty()) {
                    error(path + ".limits", "must be empty when tiers are set: give each tier its limits in tiers.values[].limits");
                }
                tiers(rule, tiers, path + ".tiers");
            }
        }
    }

    private void tiers(RuleConfig rule, TiersConfig tiers, String path) {
        if (blank(tiers.header())) {
            error(path + ".header", "is required: the request header that names the tier");
        } else if (!Syntax.isHttpToken(tiers.header())) {
            error(path + ".header", "'" + tiers.header() + "' is not a valid header name");
        }
        if (tiers.values().isEmpty()) {
            error(path + ".values", "must have at least one tier");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tiers.values().size(); i++) {
            TierConfig tier = tiers.values().get(i);
            String tierPath = path + ".values[" + i + "]";
            if (blank(tier.name())) {
                error(tierPath + ".name", "is required");
            } else if (!names.add(tier.name())) {
                error(tierPath + ".name", "'" + tier.name() + "' is used by more than one tier");
            }
            if (tier.limits().isEmpty()) {
                error(tierPath + ".limits", "must have at least one limit");
            }
            limits(rule, tier.limits(), tierPath + ".limits");
        }
        if (blank(tiers.defaultTier())) {
            error(path + ".default", "is required: the tier of requests without a known tier header value");
        } else if (!names.contains(tiers.defaultTier())) {
            error(path + ".default", "'" + tiers.defaultTier() + "' is not one of the tiers " + names.stream().sorted().toList());
        }
    }

    private void limits(RuleConfig rule, List<LimitConfig> limits, String prefix) {
        for (int i = 0; i < limits.size(); i++) {
            LimitConfig limit = limits.get(i);
            String path = prefix + "[" + i + "]";
            if (limit.requests() == null) {
                error(path + ".requests", "is required");
            } else if (limit.requests() < 1) {
                error(path + ".requests", "must be at least 1, got " + limit.requests());
            }
            LimitPeriod period = null;
            try {
                period = LimitPeriod.parse(limit.period());
            } catch (IllegalArgumentException e) {
                error(path + ".period", e.getMessage());
            }
            if (period != null && period.isCalendarMonths()) {
                if (rule.algorithm() != Algorithm.FixedWindow) {
                    error(path + ".period", "'" + limit.period() + "' counts calendar months, which only the FixedWindow algorithm can do, not " + rule.algorithm());
                } else if (period.months() > MAX_MONTHS) {
                    error(path + ".period", "'" + limit.period() + "' is longer than " + MAX_MONTHS + " months");
                }
            }
            if (limit.burst() != null) {
                if (rule.algorithm() != Algorithm.TokenBucket) {
                    error(path + ".burst", "applies only to the TokenBucket algorithm, not " + rule.algorithm());
                } else if (limit.burst() < 1) {
                    error(path + ".burst", "must be at least 1, got " + limit.burst());
                }
            }
            long capacity = limit.burst() != null ? limit.burst() : limit.requests() == null ? Long.MAX_VALUE : limit.requests();
            if (rule.cost() > capacity && capacity >= 1) {
                error(path, "cost " + rule.cost() + " is more than this limit's capacity " + capacity + ": no request could ever pass");
            }
            if (limit.name() != null && !Syntax.isHttpToken(limit.name())) {
                error(path + ".name", "'" + limit.name() + "' may contain only letters, digits and - . _ ~");
            }
        }
    }

    private void match(MatchConfig match, String path) {
        PathMatch pathMatch = match.path();
        if (pathMatch != null) {
            int given = count(pathMatch.exact(), pathMatch.prefix(), pathMatch.regex());
            if (given != 1) {
                error(path + ".path", "must have exactly one of exact, prefix or regex, got " + given);
            }
            if (pathMatch.exact() != null && !pathMatch.exact().startsWith("/")) {
                error(path + ".path.exact", "'" + pathMatch.exact() + "' must start with /");
            }
            if (pathMatch.prefix() != null && !pathMatch.prefix().startsWith("/")) {
                error(path + ".path.prefix", "'" + pathMatch.prefix() + "' must start with /");
            }
            regex(pathMatch.regex(), path + ".path.regex");
        }
        for (int i = 0; i < match.methods().size(); i++) {
            String method = match.methods().get(i);
            if (method == null || !Syntax.isMethod(method)) {
                error(path + ".methods[" + i + "]", "'" + method + "' is not an HTTP method in upper case (e.g. GET, POST)");
            }
        }
        for (int i = 0; i < match.headers().size(); i++) {
            HeaderMatch header = match.headers().get(i);
            String headerPath = path + ".headers[" + i + "]";
            if (blank(header.name())) {
                error(headerPath + ".name", "is required");
            } else if (!Syntax.isHttpToken(header.name())) {
                error(headerPath + ".name", "'" + header.name() + "' is not a valid header name");
            }
            if (count(header.exact(), header.prefix(), header.regex(), header.present()) > 1) {
                error(headerPath, "must have at most one of exact, prefix, regex or present");
            }
            regex(header.regex(), headerPath + ".regex");
        }
    }

    private void key(List<KeyDimension> key, String prefix) {
        Set<KeyDimension> seen = new HashSet<>();
        for (int i = 0; i < key.size(); i++) {
            KeyDimension dimension = key.get(i);
            String path = prefix + "[" + i + "]";
            if (dimension == null || dimension.type() == null) {
                error(path + ".type", "is required: one of ClientIP, Header, PathSegment, Route");
                continue;
            }
            if (!seen.add(dimension)) {
                error(path, "repeats an earlier dimension of this key");
            }
            switch (dimension.type()) {
                case Header -> {
                    if (blank(dimension.header())) {
                        error(path + ".header", "is required for type Header");
                    } else if (!Syntax.isHttpToken(dimension.header())) {
                        error(path + ".header", "'" + dimension.header() + "' is not a valid header name");
                    }
                }
                case PathSegment -> {
                    if (dimension.segment() == null) {
                        error(path + ".segment", "is required for type PathSegment (zero-based index of the path segment)");
                    } else if (dimension.segment() < 0 || dimension.segment() > 63) {
                        error(path + ".segment", "must be between 0 and 63, got " + dimension.segment());
                    }
                }
                default -> {
                }
            }
            if (dimension.type() != KeyType.Header && dimension.header() != null) {
                error(path + ".header", "applies only to type Header, not " + dimension.type());
            }
            if (dimension.type() != KeyType.PathSegment && dimension.segment() != null) {
                error(path + ".segment", "applies only to type PathSegment, not " + dimension.type());
            }
        }
    }

    private void selector(LabelSelector selector, String path) {
        selector.matchLabels().forEach((key, value) -> {
            if (!Syntax.isLabelKey(key)) {
                error(path + ".matchLabels", "'" + key + "' is not a valid label key");
            }
            if (value == null || !Syntax.isLabelValue(value)) {
                error(path + ".matchLabels." + key, "'" + value + "' is not a valid label value");
            }
        });
        for (int i = 0; i < selector.matchExpressions().size(); i++) {
            LabelSelectorRequirement requirement = selector.matchExpressions().get(i);
            String requirementPath = path + ".matchExpressions[" + i + "]";
            if (blank(requirement.key()) || !Syntax.isLabelKey(requirement.key())) {
                error(requirementPath + ".key", "'" + requirement.key() + "' is not a valid label key");
            }
            if (requirement.operator() == null) {
                error(requirementPath + ".operator", "is required: one of In, NotIn, Exists, DoesNotExist");
                continue;
            }
            boolean needsValues = requirement.operator() == SelectorOperator.In || requirement.operator() == SelectorOperator.NotIn;
            if (needsValues && requirement.values().isEmpty()) {
                error(requirementPath + ".values", "must not be empty for operator " + requirement.operator());
            }
            if (!needsValues && !requirement.values().isEmpty()) {
                error(requirementPath + ".values", "must be empty for operator " + requirement.operator());
            }
        }
    }

    private void name(String name, String path) {
        if (blank(name)) {
            error(path, "is required");
        } else if (!Syntax.isName(name)) {
            error(path, "'" + name + "' must be lower-case letters, digits, '-' or '.', start and end with a letter or digit, at most 63 characters");
        }
    }

    private void duration(String text, String path) {
        try {
            LimitPeriod.parseDuration(text);
        } catch (IllegalArgumentException e) {
            error(path, e.getMessage());
        }
    }

    private void regex(String regex, String path) {
        if (regex == null) {
            return;
        }
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            error(path, "'" + regex + "' is not a valid regular expression: " + e.getDescription());
        }
    }

    private static int count(Object... values) {
        int count = 0;
        for (Object value : values) {
            if (value != null) {
                count++;
            }
        }
        return count;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private void error(String field, String message) {
        errors.add(new FieldError(field, message));
    }
}
