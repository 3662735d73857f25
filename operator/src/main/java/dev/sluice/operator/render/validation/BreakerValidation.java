package dev.sluice.operator.render.validation;

import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.FieldErrors;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.config.RouteConfig;
import dev.sluice.api.config.Syntax;
import dev.sluice.api.v1alpha1.BreakerTarget;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.CircuitBreakerSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the CRD schema cannot check about a CircuitBreaker, as a pure function returning errors with
 * field paths: the sidecar's own checks ({@link ResilienceValidator}: durations parse, ranges hold, the
 * outbound URL is usable, retries are bounded), run once on the document entry the breaker renders to,
 * plus what only a resource has: its name, the shape of its target, and, across a namespace, that no two
 * breakers guard the same route or listen on the same port.
 */
public final class BreakerValidation {
    private BreakerValidation() {
    }

    public static List<FieldError> validate(CircuitBreaker breaker) {
        FieldErrors errors = new FieldErrors();
        String name = breaker.getMetadata().getName();
        if (!Syntax.isName(name)) {
            errors.add("metadata.name", "'" + name + "' must be at most 63 characters for a CircuitBreaker");
        }
        CircuitBreakerSpec spec = breaker.getSpec();
        if (spec == null) {
            errors.add("spec", "is required");
            return errors.list();
        }
        BreakerTarget target = spec.target();
        if (target == null || target.type() == null) {
            errors.add("spec.target.type", "is required: Inbound or Outbound");
        } else if (target.type() == BreakerTargetType.Inbound && target.route() != null) {
            errors.add("spec.target.route", "applies only to an Outbound target");
        }
        errors.addAll(ResilienceValidator.validateBreaker(spec.toBreakerConfig(breaker.getMetadata().getNamespace(), name), "spec",
                "spec.target.route"));
        return errors.list();
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
}
