package dev.sluice.sidecar.admin;

import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.enforce.Enforcement;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.retry.RetryRules;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The live state of breakers, routes and gates as plain maps, for the admin port's {@code /state}. */
final class StateView {
    private StateView() {
    }

    /** {@code routes}: the route listeners, which say whether each route listens and why not. */
    static Map<String, Object> of(Enforcement current, List<Map<String, Object>> routes) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("generation", current.generation() < 0 ? null : current.generation());
        List<Map<String, Object>> breakers = new ArrayList<>();
        current.guards().forEach((target, guard) -> breakers.add(breaker(target, guard)));
        view.put("breakers", breakers);
        view.put("routes", routes);
        List<Map<String, Object>> gates = new ArrayList<>();
        for (PolicyGate gate : current.gates()) {
            gates.add(gate(gate.gate()));
        }
        view.put("backpressure", gates);
        view.put("warnings", current.warnings());
        return view;
    }

    static Map<String, Object> breaker(String target, Guard guard) {
        Breaker breaker = guard.breaker();
        CircuitBreaker.Metrics metrics = breaker.metrics();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("breaker", breaker.name());
        view.put("target", target);
        view.put("state", breaker.stateLabel());
        view.put("retryAfterSeconds", breaker.state() == CircuitBreaker.State.OPEN ? breaker.retryAfterSeconds() : null);
        view.put("failureRate", metrics.getFailureRate());
        view.put("slowCallRate", metrics.getSlowCallRate());
        view.put("bufferedCalls", metrics.getNumberOfBufferedCalls());
        view.put("failedCalls", metrics.getNumberOfFailedCalls());
        view.put("slowCalls", metrics.getNumberOfSlowCalls());
        view.put("notPermittedCalls", metrics.getNumberOfNotPermittedCalls());
        view.put("timeout", Duration.ofNanos(guard.timeoutNanos()).toString());
        RetryRules retry = guard.retry();
        if (retry != null) {
            Map<String, Object> retryView = new LinkedHashMap<>();
            retryView.put("maxAttempts", retry.maxAttempts());
            retryView.put("budgetPercent", retry.config().budgetPercent());
            retryView.put("budgetRemaining", retry.budget().remaining());
            view.put("retry", retryView);
        } else {
            view.put("retry", null);
        }
        return view;
    }

    static Map<String, Object> gate(ConcurrencyGate gate) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("policy", gate.policy());
        view.put("inFlight", gate.inFlight());
        view.put("queued", gate.queued());
        view.put("upgradedConnections", gate.upgradedConnections());
        view.put("limit", gate.limit());
        view.put("adaptive", gate.adaptive());
        view.put("utilisationPercent", gate.limit() == 0 ? 0 : Math.round(100.0 * gate.inFlight() / gate.limit()));
        return view;
    }
}
