package dev.sluice.operator.inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** {@code sluice_pod_injections_total{result, reason}}: each pod creation the webhook answered (dry runs are not counted). */
public final class InjectionMetrics {
    static final String NAME = "sluice_pod_injections";
    /** The reason of an injection, so that every series has the same labels. */
    static final String INJECTED_REASON = "none";

    private final MeterRegistry registry;

    public InjectionMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void injected() {
        count("injected", INJECTED_REASON);
    }

    void skipped(SkipReason reason) {
        count("skipped", reason.word());
    }

    /** {@code reason}: a short word from a fixed set (namespace_unknown, error). */
    void failed(String reason) {
        count("failed", reason);
    }

    private void count(String result, String reason) {
        Counter.builder(NAME)
                .description("Pod creations the injection webhook answered, by result (injected, skipped, failed) and reason")
                .tag("result", result)
                .tag("reason", reason)
                .register(registry)
                .increment();
    }
}
