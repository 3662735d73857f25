package dev.sluice.api.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Semantic validation of the resilience parts of a document (circuit breakers with their timeouts,
 * retries and outbound routes; policies' backpressure), as a pure function returning every error with
 * its field path, the value and the allowed range. {@link ConfigValidator} calls it for whole
 * documents; the operator calls it for one resource at a time.
 */
public final class ResilienceValidator {
    private static final int MAX_MIN_RETRIES_PER_SECOND = 1000;
    private static final Duration MAX_WAIT = LimitPeriod.parseDuration(ConcurrencyConfig.MAX_WAIT);

    private final FieldErrors errors = new FieldErrors();

    private ResilienceValidator() {
    }

    /** The breakers of a document: each one, and that names, routes and local ports are not used twice. */
    public static List<FieldError> validateBreakers(List<BreakerConfig> breakers, String prefix) {
        ResilienceValidator validator = new ResilienceValidator();
        Set<String> names = new HashSet<>();
        Map<String, String> routeNames = new HashMap<>();
        Map<Integer, String> ports = new HashMap<>();
        for (int i = 0; i < breakers.size(); i++) {
            BreakerConfig breaker = breakers.get(i);
            String path = prefix + "[" + i + "]";
            if (breaker == null) {
                validator.errors.add(path, "must not be empty");
                continue;
            }
            validator.name(breaker.name(), path + ".name");
            validator.breaker(breaker, path, path + ".route");
            if (breaker.name() != null && !names.add(breaker.qualifiedName())) {
                validator.errors.add(path + ".name", "'" + breaker.qualifiedName() + "' is used by more than one breaker");
            }
            RouteConfig route = breaker.route();
            if (breaker.target() == BreakerTargetType.Outbound && route != null) {
                if (route.name() != null && routeNames.putIfAbsent(route.name(), breaker.qualifiedName()) != null) {
                    validator.errors.add(path + ".route.name", "route '" + route.name() + "' is already guarded by breaker "
                            + routeNames.get(route.name()) + ": one breaker per route");
                }
                if (route.localPort() != null && ports.putIfAbsent(route.localPort(), breaker.qualifiedName()) != null) {
                    validator.errors.add(path + ".route.localPort", route.localPort() + " is already the local port of breaker "
                            + ports.get(route.localPort()));
                }
            }
        }
        return validator.errors.list();
    }

    /**
     * One breaker whose name is checked where it is given (a CircuitBreaker's {@code metadata.name}):
     * everything else about it. Paths start at {@code path} (e.g. {@code spec}), the route's at
     * {@code routePath} (a resource nests it under {@code spec.target}).
     */
    public static List<FieldError> validateBreaker(BreakerConfig breaker, String path, String routePath) {
        ResilienceValidator validator = new ResilienceValidator();
        validator.breaker(breaker, path, routePath);
        return validator.errors.list();
    }

    public static List<FieldError> validateBackpressure(BackpressureConfig backpressure, String path) {
        ResilienceValidator validator = new ResilienceValidator();
        validator.backpressure(backpressure, path);
        return validator.errors.list();
    }

    private void name(String name, String path) {
        if (name == null || name.isBlank()) {
            errors.add(path, "is required");
        } else if (!Syntax.isName(name)) {
            errors.add(path, "'" + name + "' must be lower-case letters, digits, '-' or '.', start and end with a letter or digit, at most 63 characters");
        }
    }

    private void breaker(BreakerConfig breaker, String path, String routePath) {
        errors.addAll(ConfigValidator.validateSelector(breaker.podSelector(), path + ".podSelector"));
        if (breaker.target() == BreakerTargetType.Outbound) {
            if (breaker.route() == null) {
                errors.add(routePath, "is required for an Outbound target: name, upstream and localPort");
            } else {
                route(breaker.route(), routePath);
            }
        } else if (breaker.route() != null) {
            errors.add(routePath, "applies only to an Outbound target");
        }
        errors.percent(breaker.failureRateThreshold(), path + ".failureRateThreshold");
        if ((breaker.slowCallRateThreshold() == null) != (breaker.slowCallDuration() == null)) {
            errors.add(path + (breaker.slowCallRateThreshold() == null ? ".slowCallRateThreshold" : ".slowCallDuration"),
                    "slowCallRateThreshold and slowCallDuration go together: a call is slow when it takes longer than slowCallDuration");
        }
        if (breaker.slowCallRateThreshold() != null) {
            errors.percent(breaker.slowCallRateThreshold(), path + ".slowCallRateThreshold");
        }
        errors.duration(breaker.slowCallDuration(), path + ".slowCallDuration");
        errors.atLeastOne(breaker.minimumNumberOfCalls(), path + ".minimumNumberOfCalls");
        WindowConfig window = breaker.slidingWindow();
        int maxSize = window.type() == WindowConfig.WindowType.Time ? WindowConfig.MAX_TIME_WINDOW_SECONDS : WindowConfig.MAX_COUNT_WINDOW_SIZE;
        if (window.size() < 1 || window.size() > maxSize) {
            errors.add(path + ".slidingWindow.size", "must be between 1 and " + maxSize + (window.type() == WindowConfig.WindowType.Time
                    ? " seconds" : " calls") + " for a " + window.type() + " window, got " + window.size());
        }
        errors.duration(breaker.waitDurationInOpenState(), path + ".waitDurationInOpenState");
        errors.atLeastOne(breaker.permittedCallsInHalfOpen(), path + ".permittedCallsInHalfOpen");
        errors.httpStatuses(breaker.failureStatuses(), path + ".failureStatuses");
        for (int i = 0; i < breaker.failureErrors().size(); i++) {
            if (breaker.failureErrors().get(i) == null) {
                errors.add(path + ".failureErrors[" + i + "]", "must be one of ConnectFailure, Timeout, Reset");
            }
        }
        errors.duration(breaker.timeout(), path + ".timeout");
        if (breaker.retry() != null) {
            retry(breaker.retry(), path + ".retry");
        }
    }

    private void route(RouteConfig route, String path) {
        errors.routeName(route.name(), path + ".name");
        errors.upstream(route.upstream(), path + ".upstream");
        errors.port(route.localPort(), path + ".localPort");
        errors.addAll(ConfigValidator.validateRules(route.rules(), path + ".rules"));
    }

    private void retry(RetryConfig retry, String path) {
        if (retry.maxAttempts() < RetryConfig.MIN_ATTEMPTS || retry.maxAttempts() > RetryConfig.MAX_ATTEMPTS) {
            errors.add(path + ".maxAttempts", "must be between " + RetryConfig.MIN_ATTEMPTS + " and " + RetryConfig.MAX_ATTEMPTS + " (calls in all, the first included), got "
                    + retry.maxAttempts());
        }
        Duration base = errors.duration(retry.backoffBase(), path + ".backoffBase");
        Duration max = errors.duration(retry.backoffMax(), path + ".backoffMax");
        if (base != null && max != null && base.compareTo(max) > 0) {
            errors.add(path + ".backoffBase", "'" + retry.backoffBase() + "' is longer than backoffMax '" + retry.backoffMax() + "'");
        }
        errors.httpStatuses(retry.retryOn(), path + ".retryOn");
        errors.retryMethods(retry.methods(), path + ".methods");
        grpcStatuses(retry.grpcRetryOn(), path + ".grpcRetryOn");
        errors.percent(retry.budgetPercent(), path + ".budgetPercent");
        if (retry.minRetriesPerSecond() < 0 || retry.minRetriesPerSecond() > MAX_MIN_RETRIES_PER_SECOND) {
            errors.add(path + ".minRetriesPerSecond", "must be between 0 and " + MAX_MIN_RETRIES_PER_SECOND + ", got " + retry.minRetriesPerSecond());
        }
        if (retry.maxBodyBytes() < 0 || retry.maxBodyBytes() > RetryConfig.MAX_BODY_BYTES) {
            errors.add(path + ".maxBodyBytes", "must be between 0 and " + RetryConfig.MAX_BODY_BYTES + ", got " + retry.maxBodyBytes());
        }
    }

    /** A name that is not a status reads as null; the reading keeps it so that it is reported here with its index. */
    private void grpcStatuses(List<GrpcStatus> statuses, String path) {
        Set<GrpcStatus> seen = EnumSet.noneOf(GrpcStatus.class);
        for (int i = 0; i < statuses.size(); i++) {
            GrpcStatus status = statuses.get(i);
            if (status == null) {
                errors.add(path + "[" + i + "]", "must be a gRPC status other than OK, one of " + Arrays.toString(GrpcStatus.values()));
            } else if (!seen.add(status)) {
                errors.add(path + "[" + i + "]", status + " is listed twice");
            }
        }
    }

    private void backpressure(BackpressureConfig backpressure, String path) {
        if (backpressure.concurrency() == null && backpressure.adaptive() == null) {
            errors.add(path, "needs concurrency or adaptive: shedding works on the utilisation of a concurrency limit");
        }
        ConcurrencyConfig concurrency = backpressure.concurrency();
        if (concurrency != null) {
            if (concurrency.maxConcurrent() == null || concurrency.maxConcurrent() < 1 || concurrency.maxConcurrent() > ConcurrencyConfig.MAX_CONCURRENT) {
                errors.add(path + ".concurrency.maxConcurrent", "must be between 1 and " + ConcurrencyConfig.MAX_CONCURRENT + ", got " + concurrency.maxConcurrent());
            }
            if (concurrency.queueSize() < 0 || concurrency.queueSize() > ConcurrencyConfig.MAX_QUEUE_SIZE) {
                errors.add(path + ".concurrency.queueSize", "must be between 0 and " + ConcurrencyConfig.MAX_QUEUE_SIZE + ", got " + concurrency.queueSize());
            }
            Duration wait = errors.duration(concurrency.maxWait(), path + ".concurrency.maxWait");
            if (wait != null && wait.compareTo(MAX_WAIT) > 0) {
                errors.add(path + ".concurrency.maxWait", "must be at most " + ConcurrencyConfig.MAX_WAIT + ", got " + concurrency.maxWait());
            }
        }
        if (backpressure.shedding() != null) {
            shedding(backpressure.shedding(), path + ".shedding");
        }
        AdaptiveConfig adaptive = backpressure.adaptive();
        if (adaptive != null) {
            String adaptivePath = path + ".adaptive";
            if (adaptive.minLimit() < 1) {
                errors.add(adaptivePath + ".minLimit", "must be at least 1, got " + adaptive.minLimit());
            }
            if (adaptive.maxLimit() == null) {
                errors.add(adaptivePath + ".maxLimit", "is required: the highest the limit may grow");
            } else if (adaptive.maxLimit() < adaptive.minLimit() || adaptive.maxLimit() > AdaptiveConfig.MAX_LIMIT) {
                errors.add(adaptivePath + ".maxLimit", "must be between minLimit " + adaptive.minLimit() + " and " + AdaptiveConfig.MAX_LIMIT
                        + ", got " + adaptive.maxLimit());
            } else if (adaptive.initialLimit() != null
                    && (adaptive.initialLimit() < adaptive.minLimit() || adaptive.initialLimit() > adaptive.maxLimit())) {
                errors.add(adaptivePath + ".initialLimit", "must lie between minLimit " + adaptive.minLimit() + " and maxLimit "
                        + adaptive.maxLimit() + ", got " + adaptive.initialLimit());
            }
        }
    }

    private void shedding(SheddingConfig shedding, String path) {
        errors.headerName(shedding.priorityHeader(), path + ".priorityHeader");
        if (shedding.priorities().isEmpty() || shedding.priorities().size() > SheddingConfig.MAX_PRIORITIES) {
            errors.add(path + ".priorities", "must have between 1 and " + SheddingConfig.MAX_PRIORITIES + " priorities, got " + shedding.priorities().size());
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < shedding.priorities().size(); i++) {
            PriorityConfig priority = shedding.priorities().get(i);
            String priorityPath = path + ".priorities[" + i + "]";
            if (priority == null || priority.name() == null || priority.name().isBlank()) {
                errors.add(priorityPath + ".name", "is required");
                continue;
            }
            if (!names.add(priority.name())) {
                errors.add(priorityPath + ".name", "'" + priority.name() + "' is used by more than one priority");
            }
            errors.percent(priority.shedAtUtilisation(), priorityPath + ".shedAtUtilisation");
        }
        if (shedding.defaultPriority() == null || !names.contains(shedding.defaultPriority())) {
            errors.add(path + ".defaultPriority", "'" + shedding.defaultPriority() + "' is not one of the priorities " + names.stream().sorted().toList());
        }
    }
}
