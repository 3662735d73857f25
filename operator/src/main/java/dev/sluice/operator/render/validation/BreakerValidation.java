package dev.sluice.operator.render.validation;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.FieldErrors;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.Syntax;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the CRD schema cannot check about a CircuitBreaker, as a pure function returning errors with
 * field paths: durations parse, ranges hold, the outbound URL is usable, retries are bounded, and no
 * two breakers of a namespace guard the same route or listen on the same port.
 */
public final class BreakerValidation {
    private final FieldErrors errors = new FieldErrors();

    private BreakerValidation() {
    }

    public static List<FieldError> validate(CircuitBreaker breaker) {
        BreakerValidation validation = new BreakerValidation();
        String name = breaker.getMetadata().getName();
        if (!Syntax.isName(name)) {
            validation.errors.add("metadata.name", "'" + name + "' must be at most 63 characters for a CircuitBreaker");
        }
        if (breaker.getSpec() == null) {
            validation.errors.add("spec", "is required");
        } else {
            validation.spec(breaker.getSpec());
            if (validation.errors.isEmpty()) {
                // Whatever the sidecar would refuse, reported here rather than breaking the namespace's document.
                validation.errors.addAll(ResilienceValidator.validateBreaker(
                        breaker.getSpec().toBreakerConfig(breaker.getMetadata().getNamespace(), name), "spec", "spec.target.route"));
            }
        }
        return validation.errors.list();
    }

    /**
     * Every breaker of a namespace, by name: {@link #validate} and, in name order, that no valid
     * breaker named before it already guards the same outbound route or listens on the same local
     * port. One pass: each breaker is validated once.
     */
    public static Map<String, List<FieldError>> validateNamespace(List<CircuitBreaker> breakers) {
        Map<String, List<FieldError>> byName = new HashMap<>();
        Map<String, String> routeOwners = new HashMap<>();
        Map<Integer, String> portOwners = new HashMap<>();
        List<CircuitBreaker> inNameOrder = breakers.stream()
                .sorted(Comparator.comparing(breaker -> breaker.getMetadata().getName()))
                .toList();
        for (CircuitBreaker breaker : inNameOrder) {
            String name = breaker.getMetadata().getName();
            List<FieldError> errors = new ArrayList<>(validate(breaker));
            RouteConfig route = errors.isEmpty() ? breaker.getSpec().target().route() : null;
            if (route != null) {
                String routeOwner = routeOwners.putIfAbsent(route.name(), name);
                if (routeOwner != null) {
                    errors.add(new FieldError("spec.target.route.name", "route '" + route.name() + "' is already guarded by CircuitBreaker "
                            + routeOwner + ": one breaker per route"));
                }
                String portOwner = portOwners.putIfAbsent(route.localPort(), name);
                if (portOwner != null) {
                    errors.add(new FieldError("spec.target.route.localPort", route.localPort() + " is already the local port of CircuitBreaker "
                            + portOwner));
                }
            }
            byName.put(name, List.copyOf(errors));
        }
        return byName;
    }

    private void spec(CircuitBreakerSpec spec) {
        BreakerConfig breaker = spec.breaker();
        errors.addAll(ConfigValidator.validateSelector(breaker.podSelector(), "spec.podSelector"));
        target(spec.target(), "spec.target");
        errors.percent(breaker.failureRateThreshold(), "spec.failureRateThreshold");
        if ((breaker.slowCallRateThreshold() == null) != (breaker.slowCallDuration() == null)) {
            errors.add(breaker.slowCallRateThreshold() == null ? "spec.slowCallRateThreshold" : "spec.slowCallDuration",
                    "slowCallRateThreshold and slowCallDuration go together: a call is slow when it takes longer than slowCallDuration");
        }
        if (breaker.slowCallRateThreshold() != null) {
            errors.percent(breaker.slowCallRateThreshold(), "spec.slowCallRateThreshold");
        }
        errors.duration(breaker.slowCallDuration(), "spec.slowCallDuration");
        errors.atLeastOne(breaker.minimumNumberOfCalls(), "spec.minimumNumberOfCalls");
        WindowConfig window = breaker.slidingWindow();
        errors.atLeastOne(window.size(), "spec.slidingWindow.size");
        if (window.type() == WindowConfig.WindowType.Time && window.size() > WindowConfig.MAX_TIME_WINDOW_SECONDS) {
            errors.add("spec.slidingWindow.size", "a Time window is at most " + WindowConfig.MAX_TIME_WINDOW_SECONDS + " seconds, got " + window.size());
        }
        errors.duration(breaker.waitDurationInOpenState(), "spec.waitDurationInOpenState");
        errors.atLeastOne(breaker.permittedCallsInHalfOpen(), "spec.permittedCallsInHalfOpen");
        errors.httpStatuses(breaker.failureStatuses(), "spec.failureStatuses");
        errors.duration(breaker.timeout(), "spec.timeout");
        if (spec.retry() != null) {
            retry(spec.retry(), "spec.retry");
        }
    }

    private void target(BreakerTarget target, String path) {
        if (target == null || target.type() == null) {
            errors.add(path + ".type", "is required: Inbound or Outbound");
            return;
        }
        if (target.type() == BreakerTargetType.Inbound) {
            if (target.route() != null) {
                errors.add(path + ".route", "applies only to an Outbound target");
            }
            return;
        }
        RouteConfig route = target.route();
        if (route == null) {
            errors.add(path + ".route", "is required for an Outbound target: name, upstream and localPort");
            return;
        }
        errors.routeName(route.name(), path + ".route.name");
        errors.upstream(route.upstream(), path + ".route.upstream");
        errors.port(route.localPort(), path + ".route.localPort");
    }

    private void retry(RetryConfig retry, String path) {
        if (retry.maxAttempts() < RetryConfig.MIN_ATTEMPTS || retry.maxAttempts() > RetryConfig.MAX_ATTEMPTS) {
            errors.add(path + ".maxAttempts", "must be between " + RetryConfig.MIN_ATTEMPTS + " and " + RetryConfig.MAX_ATTEMPTS
                    + " (calls in all, the first included), got " + retry.maxAttempts());
        }
        Duration base = errors.duration(retry.backoffBase(), path + ".backoffBase");
        Duration max = errors.duration(retry.backoffMax(), path + ".backoffMax");
        if (base != null && max != null && base.compareTo(max) > 0) {
            errors.add(path + ".backoffBase", "'" + retry.backoffBase() + "' is longer than backoffMax '" + retry.backoffMax() + "'");
        }
        errors.httpStatuses(retry.retryOn(), path + ".retryOn");
        errors.retryMethods(retry.methods(), path + ".methods");
        errors.percent(retry.budgetPercent(), path + ".budgetPercent");
    }
}
