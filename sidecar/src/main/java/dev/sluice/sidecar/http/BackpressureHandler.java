package dev.sluice.sidecar.http;

import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.GateMetrics;
import dev.sluice.sidecar.backpressure.ParkingLot;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.backpressure.Priorities;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.SameThreadExecutor;
import java.util.concurrent.TimeUnit;
import org.xnio.XnioExecutor;

/**
 * Passes each request through the concurrency gates of the policies applied to this pod, in order,
 * and frees its slots when its exchange completes. A request that must wait is parked: the exchange
 * is dispatched without a task, so it holds no thread, and it is resumed on its own I/O thread when
 * a slot frees up, or refused with 503 when its longest wait is over. A request goes through the
 * gates of the configuration it arrived under, even if a reload swaps them while it waits. A request parks only
 * while the sidecar's {@link ParkingLot} has room (its gate's queue bounds it too); otherwise it is refused at once,
 * so that waiting requests cannot pile up past {@code --max-parked} however many policies apply.
 */
public final class BackpressureHandler implements EnforcedHandler {
    private final EnforcedHandler next;
    private final ParkingLot parking;

    public BackpressureHandler(EnforcedHandler next, ParkingLot parking) {
        this.next = next;
        this.parking = parking;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange, Enforced enforced) throws Exception {
        admit(exchange, enforced, 0);
    }

    private void admit(HttpServerExchange exchange, Enforced enforced, int index) throws Exception {
        PolicyGate[] current = enforced.gates();
        if (index == current.length) {
            next.handleRequest(exchange, enforced);
            return;
        }
        PolicyGate policyGate = current[index];
        ConcurrencyGate gate = policyGate.gate();
        Priorities priorities = gate.priorities();
        Priorities.Priority priority = priorities.forValue(priorities.header() == null ? null : exchange.getRequestHeaders().getFirst(priorities.header()));
        switch (gate.tryAcquire(priority)) {
            case ADMITTED -> {
                holdSlot(exchange, gate);
                admit(exchange, enforced, index + 1);
            }
            case SHED -> refuse(exchange, policyGate, priority, GateMetrics.Reason.SHED);
            case QUEUE_FULL -> refuse(exchange, policyGate, priority, GateMetrics.Reason.QUEUE_FULL);
            default -> {
                if (parking.tryPark()) {
                    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> park(exchange, enforced, index, priority));
                } else {
                    refuse(exchange, policyGate, priority, GateMetrics.Reason.PARKED_FULL);
                }
            }
        }
    }

    /**
     * Runs once the handler chain has returned and the exchange is dispatched, so that waking it from another thread is safe.
     * The request holds a place in the parking lot, given back once: when it is admitted, or refused.
     */
    private void park(HttpServerExchange exchange, Enforced enforced, int index, Priorities.Priority priority) {
        PolicyGate policyGate = enforced.gates()[index];
        ConcurrencyGate gate = policyGate.gate();
        ParkedRequest parked = new ParkedRequest(exchange, enforced, index);
        switch (gate.acquireOrQueue(priority, parked)) {
            case ADMITTED -> parked.admitted();
            case QUEUED -> parked.timeout = exchange.getIoThread().executeAfter(() -> {
                if (gate.cancel(priority, parked)) {
                    parking.leave();
                    exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.QUEUE_TIMEOUT));
                }
            }, gate.maxWaitNanos(), TimeUnit.NANOSECONDS);
            case SHED -> {
                parking.leave();
                exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.SHED));
            }
            default -> {
                parking.leave();
                exchange.dispatch(SameThreadExecutor.INSTANCE, ex -> refuse(ex, policyGate, priority, GateMetrics.Reason.QUEUE_FULL));
            }
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
        private final Enforced enforced;
        private final int index;
        private volatile XnioExecutor.Key timeout;

        ParkedRequest(HttpServerExchange exchange, Enforced enforced, int index) {
            this.exchange = exchange;
            this.enforced = enforced;
            this.index = index;
        }

        @Override
        public void admitted() {
            parking.leave();
            XnioExecutor.Key key = timeout;
            if (key != null) {
                key.remove();
            }
            exchange.dispatch(exchange.getIoThread(), ex -> {
                holdSlot(ex, enforced.gates()[index].gate());
                admit(ex, enforced, index + 1);
            });
        }
    }

    /**
     * Frees a slot when the exchange completes, with the latency sample the adaptive limit learns from. An upgrade the
     * app accepted completes its exchange with the 101 but goes on as a tunnel: under a gate that counts upgraded
     * connections, the handshake is the sample and the client's connection keeps the slot until it closes, which the
     * tunnel's end always does (either side closing, the idle timeout, a failed upgrade, the sidecar stopping).
     */
    private record Slot(ConcurrencyGate gate, long startNanos, int inFlightAtStart) implements ExchangeCompletionListener {
        @Override
        public void exchangeEvent(HttpServerExchange exchange, NextListener nextListener) {
            try {
                long rttNanos = System.nanoTime() - startNanos;
                if (gate.countsUpgradedConnections() && exchange.isUpgrade() && Transport.isUpgrade(exchange)) {
                    holdUntilClosed(exchange.getConnection(), gate.holdForUpgrade(startNanos, rttNanos, inFlightAtStart));
                } else {
                    int status = Grpc.httpStatus(exchange);
                    gate.release(startNanos, rttNanos, inFlightAtStart, status == 503 || status == 504);
                }
            } finally {
                nextListener.proceed();
            }
        }

        /** Runs on the connection's I/O thread, as an upgrade's exchange completes there: its close listeners are kept there. */
        private static void holdUntilClosed(ServerConnection connection, ConcurrencyGate.UpgradedSlot slot) {
            connection.addCloseListener(closed -> slot.release());
            if (!connection.isOpen()) {
                // The client left as the 101 went out: the connection closed before it had the listener.
                slot.release();
            }
        }
    }
}
