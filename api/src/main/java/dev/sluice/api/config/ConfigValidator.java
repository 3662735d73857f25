package dev.sluice.api.config;

import java.time.DateTimeException;
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
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?");
    private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?");
    /** Longer than this and a window-counted period stops making sense for a per-pod counter. */
    private static final int MAX_MONTHS = 12;

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

    public static List<FieldError> validateSelector(LabelSelector selector, String prefix) {
        ConfigValidator validator = new ConfigValidator();
        validator.selector(selector, prefix);
        return List.copyOf(validator.errors);
    }

    private void document(SidecarConfig config) {
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
        } else if (!HTTP_TOKEN.matcher(tiers.header()).matches()) {
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
            if (limit.name() != null && !HTTP_TOKEN.matcher(limit.name()).matches()) {
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
            if (method == null || !HTTP_TOKEN.matcher(method).matches() || !method.equals(method.toUpperCase())) {
                error(path + ".methods[" + i + "]", "'" + method + "' is not an HTTP method in upper case (e.g. GET, POST)");
            }
        }
        for (int i = 0; i < match.headers().size(); i++) {
            HeaderMatch header = match.headers().get(i);
            String headerPath = path + ".headers[" + i + "]";
            if (blank(header.name())) {
                error(headerPath + ".name", "is required");
            } else if (!HTTP_TOKEN.matcher(header.name()).matches()) {
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
                    } else if (!HTTP_TOKEN.matcher(dimension.header()).matches()) {
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
            if (!LABEL_KEY.matcher(key).matches()) {
                error(path + ".matchLabels", "'" + key + "' is not a valid label key");
            }
            if (value == null || !LABEL_VALUE.matcher(value).matches()) {
                error(path + ".matchLabels." + key, "'" + value + "' is not a valid label value");
            }
        });
        for (int i = 0; i < selector.matchExpressions().size(); i++) {
            LabelSelectorRequirement requirement = selector.matchExpressions().get(i);
            String requirementPath = path + ".matchExpressions[" + i + "]";
            if (blank(requirement.key()) || !LABEL_KEY.matcher(requirement.key()).matches()) {
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
        } else if (!NAME.matcher(name).matches()) {
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
