package dev.sluice.sidecar.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.WindowConfig;
import dev.sluice.sidecar.limit.ManualClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BreakerTest {
    private static final long MS = 1_000_000L;
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Breaker breaker(Integer slowRate, String slowDuration, List<FailureKind> errors) {
        BreakerConfig config = BreakerConfig.builder().namespace("shop").name("api").failureRateThreshold(50)
                .slowCallRateThreshold(slowRate).slowCallDuration(slowDuration).minimumNumberOfCalls(4)
                .slidingWindow(new WindowConfig(WindowConfig.WindowType.Count, 4)).waitDurationInOpenState("30s").permittedCallsInHalfOpen(2)
                .failureErrors(errors).build();
        return Breaker.create(config, "inbound", new TimeSource(clock), registry);
    }

    @Test
    void opensAtTheThresholdFailsFastHalfOpensAndCloses() {
        Breaker breaker = breaker(null, null, null);
        for (int status : new int[] {200, 500, 200}) {
            assertThat(breaker.tryAcquire()).isTrue();
            breaker.onResponse(status, MS);
        }
        assertThat(breaker.state()).as("3 calls are fewer than the minimum").isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onResponse(503, MS);
        assertThat(breaker.state()).as("2 failures of 4 = 50%").isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);

        clock.advance(Duration.ofSeconds(20));
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(10);
        clock.advance(Duration.ofSeconds(10).plusMillis(1));
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        breaker.onResponse(200, MS);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onResponse(204, MS);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(registry.get("sluice_circuit_breaker_transitions").tag("from", "closed").tag("to", "open").counter().count()).isEqualTo(1);
        assertThat(registry.get("sluice_circuit_breaker_transitions").tag("from", "half_open").tag("to", "closed").counter().count())
                .isEqualTo(1);
    }

    @Test
    void retryAfterIsOneSecondBeforeTheCircuitEverOpened() {
        // A refused call can read retryAfterSeconds between Resilience4j's state change and the
        // transition event that records when the circuit opened; it must not overflow then.
        assertThat(breaker(null, null, null).retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void aFailedTrialCallOpensTheCircuitAgain() {
        Breaker breaker = breaker(null, null, null);
        for (int i = 0; i < 4; i++) {
            breaker.tryAcquire();
            breaker.onError(FailureKind.ConnectFailure, MS);
        }
        clock.advance(Duration.ofSeconds(31));
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onError(FailureKind.Timeout, MS);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onResponse(500, MS);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void slowCallsOpenTheCircuitAndUncountedErrorsAreLeftOut() {
        Breaker breaker = breaker(75, "100ms", List.of(FailureKind.ConnectFailure));
        for (int i = 0; i < 10; i++) {
            breaker.tryAcquire();
            breaker.onError(FailureKind.Timeout, 500 * MS);
        }
        assertThat(breaker.state()).as("timeouts do not count for this breaker").isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().getNumberOfBufferedCalls()).isZero();
        for (int i = 0; i < 4; i++) {
            breaker.tryAcquire();
            breaker.onResponse(200, 150 * MS);
        }
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }
}
