package dev.sluice.operator.breaker;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.status.SelectedPods;
import dev.sluice.operator.status.StatusWriter;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.util.List;

/**
 * Reconciles CircuitBreakers: validates them and reports status. The sidecar configuration has no
 * place for breakers yet, so nothing is rendered and no cleanup (finalizer) is needed.
 */
@ControllerConfiguration(name = CircuitBreakerReconciler.NAME)
public final class CircuitBreakerReconciler implements Reconciler<CircuitBreaker> {
    public static final String NAME = "circuitbreaker";

    private final StatusWriter statusWriter;
    private final OperatorMetrics metrics;
    private SelectedPods<CircuitBreaker> selectedPods;

    public CircuitBreakerReconciler(StatusWriter statusWriter, OperatorMetrics metrics) {
        this.statusWriter = statusWriter;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, CircuitBreaker>> prepareEventSources(EventSourceContext<CircuitBreaker> context) {
        selectedPods = SelectedPods.watch(context);
        return List.of(selectedPods.eventSource());
    }

    @Override
    public UpdateControl<CircuitBreaker> reconcile(CircuitBreaker breaker, Context<CircuitBreaker> context) {
        List<FieldError> errors = CircuitBreakerValidator.validate(breaker);
        if (!errors.isEmpty()) {
            metrics.invalidSpec(breaker.getKind());
        }
        int selected = selectedPods.count(breaker.getMetadata().getNamespace(),
                breaker.getSpec() == null ? null : breaker.getSpec().podSelector());
        return statusWriter.write(breaker, CircuitBreakerStatus.desired(breaker, errors, selected));
    }
}
