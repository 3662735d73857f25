package dev.sluice.sidecar.backpressure;

import static org.assertj.core.api.Assertions.assertThat;

import com.netflix.concurrency.limits.Limit;
import dev.sluice.api.config.AdaptiveConfig;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.SheddingConfig;
import dev.sluice.sidecar.backpressure.ConcurrencyGate.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ConcurrencyGateTest {
    private static final SheddingConfig FOUR_PRIORITIES = new SheddingConfig("X-Priority", "normal", List.of(
            new PriorityConfig("critical", 100), new PriorityConfig("high", 95),
            new PriorityConfig("normal", 90), new PriorityConfig("low", 80)));

    private static ConcurrencyGate gate(int max, int queue, SheddingConfig shedding) {
        return new ConcurrencyGate("ns/api", new BackpressureConfig(new ConcurrencyConfig(max, queue, "1s"), shedding, null));
    }

    @Test
    void lowerPrioritiesAreShedFirstAsUtilisationRises() {
        ConcurrencyGate gate = gate(20, 0, FOUR_PRIORITIES);
        Priorities priorities = gate.priorities();
        Map<String, Integer> shedFrom = new LinkedHashMap<>();
        for (int inFlight = 0; inFlight < 20; inFlight++) {
            for (String name : List.of("low", "normal", "high", "critical")) {
                ConcurrencyGate probe = gate(20, 0, FOUR_PRIORITIES);
                for (int i = 0; i < inFlight; i++) {
                    assertThat(probe.tryAcquire(priorities.forValue("critical"))).isEqualTo(Outcome.ADMITTED);
                }
                if (probe.tryAcquire(priorities.forValue(name)) == Outcome.SHED) {
                    shedFrom.putIfAbsent(name, inFlight);
                }
            }
        }
        assertThat(shedFrom).containsExactly(Map.entry("low", 16), Map.entry("normal", 18), Map.entry("high", 19));
        for (int i = 0; i < 20; i++) {
            assertThat(gate.tryAcquire(priorities.forValue("critical"))).isEqualTo(Outcome.ADMITTED);
        }
        assertThat(gate.tryAcquire(priorities.forValue("critical"))).isEqualTo(Outcome.QUEUE_FULL);
    }

    @Test
    void anUnknownOrMissingPriorityIsTheDefault() {
        Priorities priorities = Priorities.of(FOUR_PRIORITIES);
        assertThat(priorities.forValue(null).name()).isEqualTo("normal");
        assertThat(priorities.forValue("urgent!").name()).isEqualTo("normal");
        assertThat(priorities.forValue("low").rank()).isLessThan(priorities.forValue("critical").rank());
    }

    @Test
    void waitersAreAdmittedHighestPriorityFirstThenInOrder() {
        SheddingConfig twoFull = new SheddingConfig("X-Priority", "normal", List.of(
                new PriorityConfig("critical", 100), new PriorityConfig("normal", 100)));
        ConcurrencyGate gate = gate(1, 10, twoFull);
        Priorities priorities = gate.priorities();
        List<String> admitted = new ArrayList<>();
        assertThat(gate.tryAcquire(priorities.forValue("normal"))).isEqualTo(Outcome.ADMITTED);
        assertThat(gate.tryAcquire(priorities.forValue("normal"))).isEqualTo(Outcome.WOULD_QUEUE);
        gate.acquireOrQueue(priorities.forValue("normal"), () -> admitted.add("normal-1"));
        gate.acquireOrQueue(priorities.forValue("normal"), () -> admitted.add("normal-2"));
        gate.acquireOrQueue(priorities.forValue("critical"), () -> admitted.add("critical"));
        assertThat(gate.queued()).isEqualTo(3);

        gate.release(0, 1, 1, false);
        gate.release(0, 1, 1, false);
        gate.release(0, 1, 1, false);
        assertThat(admitted).containsExactly("critical", "normal-1", "normal-2");
        assertThat(gate.inFlight()).isEqualTo(1);
        assertThat(gate.queued()).isZero();
    }

    @Test
    void theQueueIsBoundedAndAWaiterThatGaveUpIsNotAdmitted() {
        ConcurrencyGate gate = gate(1, 1, null);
        Priorities.Priority any = gate.priorities().forValue(null);
        List<String> admitted = new ArrayList<>();
        ConcurrencyGate.Waiter first = () -> admitted.add("first");
        assertThat(gate.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        assertThat(gate.acquireOrQueue(any, first)).isEqualTo(Outcome.QUEUED);
        assertThat(gate.acquireOrQueue(any, () -> admitted.add("second"))).isEqualTo(Outcome.QUEUE_FULL);
        assertThat(gate.cancel(any, first)).isTrue();
        gate.release(0, 1, 1, false);
        assertThat(admitted).isEmpty();
        assertThat(gate.inFlight()).isZero();
        assertThat(gate.cancel(any, first)).as("already gone").isFalse();
    }

    @Test
    void anUpgradedConnectionKeepsItsSlotUntilReleasedOnceAndTheNextWaitsOrIsRefusedAsAnyRequest() {
        ConcurrencyGate gate = new ConcurrencyGate("ns/api", new BackpressureConfig(new ConcurrencyConfig(2, 1, "1s", true), null, null));
        Priorities.Priority any = gate.priorities().forValue(null);
        List<String> admitted = new ArrayList<>();
        assertThat(gate.countsUpgradedConnections()).isTrue();
        assertThat(gate.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        ConcurrencyGate.UpgradedSlot first = gate.holdForUpgrade(0, 1, 0);
        assertThat(gate.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        ConcurrencyGate.UpgradedSlot second = gate.holdForUpgrade(0, 1, 1);
        assertThat(gate.inFlight()).isEqualTo(2);
        assertThat(gate.upgradedConnections()).isEqualTo(2);

        assertThat(gate.acquireOrQueue(any, () -> admitted.add("third"))).isEqualTo(Outcome.QUEUED);
        assertThat(gate.acquireOrQueue(any, () -> admitted.add("fourth"))).isEqualTo(Outcome.QUEUE_FULL);
        first.release();
        first.release();
        assertThat(admitted).containsExactly("third");
        assertThat(gate.inFlight()).as("the second connection and the third, admitted: the repeated release freed nothing more").isEqualTo(2);
        assertThat(gate.upgradedConnections()).isEqualTo(1);
        second.release();
        assertThat(gate.inFlight()).isEqualTo(1);
        assertThat(gate.upgradedConnections()).isZero();
    }

    @Test
    void theAdaptiveLimitLearnsFromTheHandshakeNeverFromTheConnectionsLife() {
        List<String> samples = new ArrayList<>();
        Limit recording = new Limit() {
            @Override
            public int getLimit() {
                return 10;
            }

            @Override
            public void notifyOnChange(Consumer<Integer> consumer) {
            }

            @Override
            public void onSample(long startTime, long rtt, int inflight, boolean didDrop) {
                samples.add("rtt=" + rtt + " inFlight=" + inflight + " dropped=" + didDrop);
            }
        };
        AdaptiveConfig adaptive = new AdaptiveConfig(null, 1, 10, null);
        ConcurrencyGate gate = new ConcurrencyGate("ns/api", new BackpressureConfig(new ConcurrencyConfig(10, 0, "1s", true), null, adaptive),
                new AdaptiveLimit(recording, 1, 10));
        Priorities.Priority any = gate.priorities().forValue(null);

        assertThat(gate.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        ConcurrencyGate.UpgradedSlot socket = gate.holdForUpgrade(1_000, 2_000_000, 0);
        assertThat(gate.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        gate.release(5_000, 3_000_000, 1, false);
        socket.release();

        assertThat(samples).containsExactly("rtt=2000000 inFlight=0 dropped=false", "rtt=3000000 inFlight=1 dropped=false");
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void withoutTheOptionAGateDoesNotCountUpgradedConnections() {
        assertThat(gate(2, 0, null).countsUpgradedConnections()).isFalse();
        assertThat(new ConcurrencyGate("ns/api", new BackpressureConfig(null, null, new AdaptiveConfig(null, 1, 10, null)))
                .countsUpgradedConnections()).as("adaptive only: the option belongs to concurrency").isFalse();
    }

    private static ConcurrencyGate countingGate(int max, int queue) {
        return new ConcurrencyGate("ns/api", new BackpressureConfig(new ConcurrencyConfig(max, queue, "1s", true), null, null));
    }

    @Test
    void aReplacingGateTakesTheOpenUpgradedConnectionsOverWithTheirReleases() {
        ConcurrencyGate replaced = countingGate(3, 1);
        Priorities.Priority any = replaced.priorities().forValue(null);
        List<String> admitted = new ArrayList<>();
        replaced.tryAcquire(any);
        ConcurrencyGate.UpgradedSlot first = replaced.holdForUpgrade(0, 1, 0);
        replaced.tryAcquire(any);
        ConcurrencyGate.UpgradedSlot second = replaced.holdForUpgrade(0, 1, 1);
        assertThat(replaced.tryAcquire(any)).as("a request").isEqualTo(Outcome.ADMITTED);
        assertThat(replaced.acquireOrQueue(any, () -> admitted.add("waiting under the old configuration"))).isEqualTo(Outcome.QUEUED);

        ConcurrencyGate replacement = countingGate(3, 0);
        replacement.adoptUpgradedConnections(replaced);

        assertThat(replacement.inFlight()).isEqualTo(2);
        assertThat(replacement.upgradedConnections()).isEqualTo(2);
        assertThat(admitted).as("the room the connections left in the replaced gate").containsExactly("waiting under the old configuration");
        assertThat(replaced.inFlight()).as("the request and the waiter it admitted").isEqualTo(2);
        assertThat(replaced.upgradedConnections()).isZero();
        assertThat(replacement.tryAcquire(any)).isEqualTo(Outcome.ADMITTED);
        assertThat(replacement.tryAcquire(any)).as("two connections and a request fill a limit of three").isEqualTo(Outcome.QUEUE_FULL);

        first.release();
        first.release();
        assertThat(replacement.inFlight()).isEqualTo(2);
        assertThat(replaced.inFlight()).as("a connection it gave away frees nothing here").isEqualTo(2);
        second.release();
        assertThat(replacement.inFlight()).isEqualTo(1);
        assertThat(replacement.upgradedConnections()).isZero();
    }

    @Test
    void aReplacingGateThatDoesNotCountUpgradedConnectionsLeavesThemWhereTheyAre() {
        ConcurrencyGate replaced = countingGate(2, 0);
        replaced.tryAcquire(replaced.priorities().forValue(null));
        ConcurrencyGate.UpgradedSlot open = replaced.holdForUpgrade(0, 1, 0);
        ConcurrencyGate replacement = gate(2, 0, null);

        replacement.adoptUpgradedConnections(replaced);

        assertThat(replacement.inFlight()).isZero();
        assertThat(replaced.upgradedConnections()).isEqualTo(1);
        open.release();
        assertThat(replaced.inFlight()).isZero();
    }
}
