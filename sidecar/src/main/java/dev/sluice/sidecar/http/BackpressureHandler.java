package dev.sluice.sidecar.http;

import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.GateMetrics;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.backpressure.Priorities;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.xnio.XnioExecutor;

/**
 * Passes each request through the concurrency gates of the policies applied to this pod, in order,
 * and frees its slots when its exchange completes. A request that must wait is parked: the exchange
 * is dispatched without a task, so it holds no thread, and it is resumed on its own I/O thread when
 * a slot frees up, or refused with 503 when its longest wait is over.
 */
public final class BackpressureHandler implements HttpHandler {
    private final Supplier<PolicyGate[]> gates;
    private final HttpHandler next;

    public BackpressureHandler(Supplier<PolicyGate[]> gates, HttpHandler next) {
        this.gates = gates;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        PolicyGate[] current = gates.get();
        if (current.length == 0) {
            next.handleRequest(exchange);
            return;
        }
        admit(exchange, current, 0);
    }

    private void admit(HttpServerExchange exchange, PolicyGate[] current, int index) throws Exception {
        if (index == current.length) {
            next.handleRequest(exchange);
            return;
        }
        PolicyGate policyGate = current[index];
        ConcurrencyGate gate = policyGate.gate();
        Priorities priorities = gate.priorities();
        Priorities.Priority priority = priorities.forValue(priorities.header() == null ? null : exchange.getRequestHeaders().getFirst(priorities.header()));
        switch (gate.tryAcquire(priority)) {
            case ADMITTED -> {
                holdSlot(exchange, gate);
                admit(exchange, current, index + 1);
            }
            case SHED -> refuse(exchange, policyGate, priority, GateMetrics.Reason.SHED);
            case QUEUE_FULL -> refuse(exchange, policyGate, priority, GateMetrics.Reason.QUEUE_FULL);
            default -> exchange.dispatch(SameThreadExecutor.INSTANCE, () -> park(exchange, current, index, priority));
        }
    }

    /** Runs once the handler chain has returned and the exchange is dispatched, so that waking it from another thread is safe. */
    private void park(HttpServerExchange exchange, PolicyGate[] current, int index, Priorities.Priority priority) {
        PolicyGate policyGate = current[index];
        ConcurrencyGate gate = policyGate.gate();
        ParkedRequest parked = new ParkedRequest(exchange, current, index);
        switch (gate.acquireOrQueue(priority, parked)) {
            case ADMITTED -> parked.admitted();
            case QUEUED -> parked.timeout = exchange.getIoThread().executeAfter(() -> {
                if (gate.cancel(priority, parked)) {
                    exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.QUEUE_TIMEOUT));
                }
            }, gate.maxWaitNanos(), TimeUnit.NANOSECONDS);
            case SHED -> exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.SHED));
            default -> exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.QUEUE_FULL));
        }
    }

    private static void holdSlot(HttpServerExchange exchange, ConcurrencyGate gate) {
        exchange.addExchangeCompleteListener(new Slot(gate, System.nanoTime(), gate.inFlight()));
    }

    private static void refuse(HttpServerExchange exchange, PolicyGate policyGate, Priorities.Priority priority, GateMetrics.Reason reason) {
        policyGate.metrics().refused(policyGate.gate(), priority, reason);
        Rejections.overloaded(exchange, policyGate.gate(), priority, reason);
    }

    /** A request waiting for a slot: resumed on its own I/O thread, where it goes on to the next gate. */
    private final class ParkedRequest implements ConcurrencyGate.Waiter {
        private final HttpServerExchange exchange;
        private final PolicyGate[] gates;
        private final int index;
        private volatile XnioExecutor.Key timeout;

        ParkedRequest(HttpServerExchange exchange, PolicyGate[] gates, int index) {
            this.exchange = exchange;
            this.gates = gates;
            this.index = index;
        }

        @Override
        public void admitted() {
            XnioExecutor.Key key = timeout;
            if (key != null) {
                key.remove();
            }
            exchange.dispatch(exchange.getIoThread(), ex -> {
                holdSlot(ex, gates[index].gate());
                admit(ex, gates, index + 1);
            });
        }
    }

    /** Frees a slot when the exchange completes, with the latency sample the adaptive limit learns from. */
    private record Slot(ConcurrencyGate gate, long startNanos, int inFlightAtStart) implements ExchangeCompletionListener {
        @Override
        public void exchangeEvent(HttpServerExchange exchange, NextListener nextListener) {
            try {
                int status = exchange.getStatusCode();
                gate.release(startNanos, System.nanoTime() - startNanos, inFlightAtStart, status == 503 || status == 504);
            } finally {
                nextListener.proceed();
            }
        }
    }
}
