package dev.sluice.operator.monitoring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The operator's own metrics, beside the Java Operator SDK's reconciliation metrics. */
public final class OperatorMetrics {
    private final MeterRegistry registry;

    public OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A resource found invalid by semantic validation (counted per reconciliation that finds it so). */
    public void invalidSpec(String kind) {
        Counter.builder("sluice_operator_invalid_specs")
                .description("Reconciliations that found a resource's spec invalid")
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    /** A write of a namespace's sidecar ConfigMap: create, update or delete. */
    public void configMapWritten(String operation) {
        Counter.builder("sluice_operator_configmap_writes")
                .description("Writes of sidecar configuration ConfigMaps")
                .tag("operation", operation)
                .register(registry)
                .increment();
    }
}
