package dev.sluice.operator.breaker;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.FieldErrors;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import dev.sluice.api.v1alpha1.OutboundRoute;
import dev.sluice.api.v1alpha1.RetryPolicy;
import dev.sluice.api.v1alpha1.SlidingWindow;
import dev.sluice.operator.render.ResilienceRendering;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the CRD schema cannot check about a CircuitBreaker, as a pure function returning errors with
 * field paths: durations parse, ranges hold, the outbound URL is usable, retries are bounded.
 */
public final class CircuitBreakerValidator {
    private static final Pattern BREAKER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?");
    private static final Pattern ROUTE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern METHOD = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Z-]+");

    private final FieldErrors errors = new FieldErrors();

    private CircuitBreakerValidator() {
    }

    public static List<FieldError> validate(CircuitBreaker breaker) {
        CircuitBreakerValidator validator = new CircuitBreakerValidator();
        String name = breaker.getMetadata().getName();
        if (name == null || !BREAKER_NAME.matcher(name).matches()) {
            validator.errors.add("metadata.name", "'" + name + "' must be at most 63 characters for a CircuitBreaker");
        }
        if (breaker.getSpec() == null) {
            validator.errors.add("spec", "is required");
        } else {
            validator.spec(breaker.getSpec());
            if (validator.errors.isEmpty()) {
                // Whatever the sidecar would refuse, reported here rather than breaking the namespace's document.
                BreakerConfig rendered = ResilienceRendering.toBreakerConfig(breaker.getMetadata().getNamespace(), name, breaker.getSpec());
                validator.errors.addAll(ResilienceValidator.validateBreaker(rendered, "spec"));
            }
        }
        return validator.errors.list();
    }

    /**
     * {@link #validate} and, among the breakers of the namespace, that no valid breaker named before
     * this one already guards the same outbound route or listens on the same local port.
     */
    public static List<FieldError> validateInNamespace(CircuitBreaker breaker, List<CircuitBreaker> namespace) {
        List<FieldError> errors = new ArrayList<>(validate(breaker));
        OutboundRoute route = breaker.getSpec() == null || breaker.getSpec().target() == null ? null : breaker.getSpec().target().route();
        if (!errors.isEmpty() || route == null) {
            return List.copyOf(errors);
        }
        String name = breaker.getMetadata().getName();
        for (CircuitBreaker other : namespace) {
            String otherName = other.getMetadata().getName();
            if (otherName == null || otherName.compareTo(name) >= 0 || other.getMetadata().getDeletionTimestamp() != null
                    || other.getSpec() == null || other.getSpec().target() == null || other.getSpec().target().route() == null
                    || !validate(other).isEmpty()) {
                continue;
            }
            OutboundRoute taken = other.getSpec().target().route();
            if (route.name().equals(taken.name())) {
                errors.add(new FieldError("spec.target.route.name", "route '" + route.name() + "' is already guarded by CircuitBreaker "
                        + otherName + ": one breaker per route"));
            }
            if (route.localPort().equals(taken.localPort())) {
                errors.add(new FieldError("spec.target.route.localPort", route.localPort() + " is already the local port of CircuitBreaker "
                        + otherName));
            }
        }
        return List.copyOf(errors);
    }

    private void spec(CircuitBreakerSpec spec) {
        errors.addAll(ConfigValidator.validateSelector(spec.podSelector(), "spec.podSelector"));
        target(spec.target(), "spec.target");
        errors.percent(spec.failureRateThreshold(), "spec.failureRateThreshold");
        if ((spec.slowCallRateThreshold() == null) != (spec.slowCallDuration() == null)) {
            errors.add(spec.slowCallRateThreshold() == null ? "spec.slowCallRateThreshold" : "spec.slowCallDuration",
                    "slowCallRateThreshold and slowCallDuration go together: a call is slow when it takes longer than slowCallDuration");
        }
        if (spec.slowCallRateThreshold() != null) {
            errors.percent(spec.slowCallRateThreshold(), "spec.slowCallRateThreshold");
        }
        errors.duration(spec.slowCallDuration(), "spec.slowCallDuration");
        errors.atLeastOne(spec.minimumNumberOfCalls(), "spec.minimumNumberOfCalls");
        SlidingWindow window = spec.slidingWindow();
        errors.atLeastOne(window.size(), "spec.slidingWindow.size");
        if (window.type() == SlidingWindow.WindowType.Time && window.size() > SlidingWindow.MAX_TIME_WINDOW_SECONDS) {
            errors.add("spec.slidingWindow.size", "a Time window is at most " + SlidingWindow.MAX_TIME_WINDOW_SECONDS + " seconds, got " + window.size());
        }
        errors.duration(spec.waitDurationInOpenState(), "spec.waitDurationInOpenState");
        errors.atLeastOne(spec.permittedCallsInHalfOpen(), "spec.permittedCallsInHalfOpen");
        errors.httpStatuses(spec.failureStatuses(), "spec.failureStatuses");
        errors.duration(spec.timeout(), "spec.timeout");
        if (spec.retry() != null) {
            retry(spec.retry(), "spec.retry");
        }
    }

    private void target(BreakerTarget target, String path) {
        if (target == null || target.type() == null) {
            errors.add(path + ".type", "is required: Inbound or Outbound");
            return;
        }
        if (target.type() == BreakerTarget.TargetType.Inbound) {
            if (target.route() != null) {
                errors.add(path + ".route", "applies only to an Outbound target");
            }
            return;
        }
        OutboundRoute route = target.route();
        if (route == null) {
            errors.add(path + ".route", "is required for an Outbound target: name, upstream and localPort");
            return;
        }
        if (route.name() == null || !ROUTE_NAME.matcher(route.name()).matches()) {
            errors.add(path + ".route.name", "'" + route.name() + "' must be lower-case letters, digits and '-', at most 63 characters");
        }
        upstream(route.upstream(), path + ".route.upstream");
        if (route.localPort() == null || route.localPort() < 1 || route.localPort() > 65535) {
            errors.add(path + ".route.localPort", "must be between 1 and 65535, got " + route.localPort());
        }
    }

    private void upstream(String upstream, String path) {
        if (upstream == null) {
            errors.add(path, "is required: the URL calls are forwarded to, e.g. https://api.example.com");
            return;
        }
        try {
            URI uri = new URI(upstream);
            boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            if (!http || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
                errors.add(path, "'" + upstream + "' must be an http or https URL with a host and no query or fragment");
            }
        } catch (URISyntaxException e) {
            errors.add(path, "'" + upstream + "' is not a URL: " + e.getReason());
        }
    }

    private void retry(RetryPolicy retry, String path) {
        if (retry.maxAttempts() < 2 || retry.maxAttempts() > 10) {
            errors.add(path + ".maxAttempts", "must be between 2 and 10 (calls in all, the first included), got " + retry.maxAttempts());
        }
        Duration base = errors.duration(retry.backoffBase(), path + ".backoffBase");
        Duration max = errors.duration(retry.backoffMax(), path + ".backoffMax");
        if (base != null && max != null && base.compareTo(max) > 0) {
            errors.add(path + ".backoffBase", "'" + retry.backoffBase() + "' is longer than backoffMax '" + retry.backoffMax() + "'");
        }
        errors.httpStatuses(retry.retryOn(), path + ".retryOn");
        for (int i = 0; i < retry.methods().size(); i++) {
            String method = retry.methods().get(i);
            if (method == null || !METHOD.matcher(method).matches()) {
                errors.add(path + ".methods[" + i + "]", "'" + method + "' is not an HTTP method in upper case (e.g. GET, PUT)");
            }
        }
        errors.percent(retry.budgetPercent(), path + ".budgetPercent");
    }
}
