package dev.sluice.sidecar.breaker;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.FailureKind;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.WindowConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One circuit breaker: Resilience4j's state machine, fed with the outcome of every call (a status it
 * counts as a failure, an error, or a success with its duration, which makes it a slow call or not),
 * read through an injected clock. It remembers until when it is open, for {@code Retry-After}; each
 * transition is logged once and counted, and the state is exported as
 * {@code sluice_circuit_breaker_state{state=...}} (1 for the current state).
 */
public final class Breaker {
    private static final Logger LOG = LoggerFactory.getLogger(Breaker.class);
    /** Without a slow-call threshold a call is never slow. */
    private static final Duration NEVER_SLOW = Duration.ofDays(365);
    private static final List<CircuitBreaker.State> EXPORTED_STATES =
            List.of(CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN);

    private final BreakerConfig config;
    private final String target;
    private final CircuitBreaker circuit;
    private final Clock clock;
    private final Duration openFor;
    private final boolean[] failureStatuses = new boolean[600];
    private final Set<FailureKind> failureErrors;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Counter> transitions = new ConcurrentHashMap<>();
    private volatile Instant openUntil = Instant.MIN;
    /** When the circuit entered its state; null while it is still in the closed state it was built in. */
    private volatile Instant stateSince;

    private Breaker(BreakerConfig config, String target, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.target = target;
        this.clock = clock;
        this.registry = registry;
        this.openFor = LimitPeriod.parseDuration(config.waitDurationInOpenState());
        config.failureStatuses().forEach(status -> failureStatuses[status] = true);
        this.failureErrors = config.failureErrors().isEmpty() ? EnumSet.noneOf(FailureKind.class) : EnumSet.copyOf(config.failureErrors());
        this.circuit = CircuitBreaker.of(config.qualifiedName(), resilience4jConfig(config, clock));
        circuit.getEventPublisher().onStateTransition(event -> onTransition(event.getStateTransition()));
    }

    /**
     * Registers the gauges of this breaker's state, once it is in force: registered while it is
     * compiled, they would find the names held by the breaker it replaces, and a refused reload would
     * leave them reading a breaker that never served.
     */
    public void registerGauges() {
        if (!meters.isEmpty()) {
            return;
        }
        for (CircuitBreaker.State state : EXPORTED_STATES) {
            meters.add(Gauge.builder("sluice_circuit_breaker_state", circuit, c -> c.getState() == state ? 1 : 0)
                    .description("1 for the state the circuit breaker is in")
                    .tag("breaker", config.qualifiedName()).tag("target", target).tag("state", label(state))
                    .register(registry));
        }
        meters.add(Gauge.builder("sluice_circuit_breaker_failure_rate", circuit, c -> c.getMetrics().getFailureRate())
                .description("Failure rate (percent) over the sliding window; -1 until the minimum number of calls")
                .tag("breaker", config.qualifiedName()).tag("target", target)
                .register(registry));
    }

    /** A breaker for {@code config}; {@code target} is {@code inbound} or the outbound route's name. */
    public static Breaker create(BreakerConfig config, String target, Clock clock, MeterRegistry registry) {
        return new Breaker(config, target, clock, registry);
    }

    static CircuitBreakerConfig resilience4jConfig(BreakerConfig config, Clock clock) {
        WindowConfig window = config.slidingWindow();
        CircuitBreakerConfig.Builder builder = CircuitBreakerConfig.custom()
                .failureRateThreshold(config.failureRateThreshold())
                .slidingWindowType(window.type() == WindowConfig.WindowType.Time
                        ? CircuitBreakerConfig.SlidingWindowType.TIME_BASED : CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(window.size())
                .minimumNumberOfCalls(config.minimumNumberOfCalls())
                .waitDurationInOpenState(LimitPeriod.parseDuration(config.waitDurationInOpenState()))
                .permittedNumberOfCallsInHalfOpenState(config.permittedCallsInHalfOpen())
                .recordException(failure -> failure instanceof CallFailure)
                .writableStackTraceEnabled(false)
                .clock(clock);
        if (config.slowCallRateThreshold() != null) {
            builder.slowCallRateThreshold(config.slowCallRateThreshold())
                    .slowCallDurationThreshold(LimitPeriod.parseDuration(config.slowCallDuration()));
        } else {
            builder.slowCallRateThreshold(100).slowCallDurationThreshold(NEVER_SLOW);
        }
        return builder.build();
    }

    /** Whether a call may go ahead; every permitted call must end in {@link #onResponse}, {@link #onError} or {@link #release}. */
    public boolean tryAcquire() {
        return circuit.tryAcquirePermission();
    }

    /** Gives back a permission whose call never happened (e.g. the request body could not be read). */
    public void release() {
        circuit.releasePermission();
    }

    /** Records a response: a failure if its status is one of the failure statuses, else a success (slow or not). */
    public boolean onResponse(int status, long durationNanos) {
        if (isFailure(status)) {
            circuit.onError(durationNanos, TimeUnit.NANOSECONDS, new CallFailure("status " + status));
            return false;
        }
        circuit.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
        return true;
    }

    /** Records an error: a failure if its kind counts, else the call is left out of the window. */
    public void onError(FailureKind kind, long durationNanos) {
        if (failureErrors.contains(kind)) {
            circuit.onError(durationNanos, TimeUnit.NANOSECONDS, new CallFailure(kind.name()));
        } else {
            circuit.releasePermission();
        }
    }

    public boolean isFailure(int status) {
        return status >= 0 && status < failureStatuses.length && failureStatuses[status];
    }

    /** Whole seconds until the circuit may let trial calls through, at least 1. */
    public long retryAfterSeconds() {
        Instant now = clock.instant();
        Instant until = openUntil;
        // Not yet set (the transition event comes after the state change) or already past.
        if (!until.isAfter(now)) {
            return 1;
        }
        long millis = Duration.between(now, until).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }

    public CircuitBreaker.State state() {
        return circuit.getState();
    }

    public String stateLabel() {
        return label(circuit.getState());
    }

    /** When the circuit entered the state it is in, or null if it has not left the closed state it was built in. */
    public Instant stateSince() {
        return stateSince;
    }

    public BreakerConfig config() {
        return config;
    }

    public String name() {
        return config.qualifiedName();
    }

    public String target() {
        return target;
    }

    public CircuitBreaker.Metrics metrics() {
        return circuit.getMetrics();
    }

    /** Removes this breaker's meters, when a reload replaced or dropped it. */
    public void unregister() {
        meters.forEach(registry::remove);
        transitions.values().forEach(registry::remove);
    }

    private void onTransition(CircuitBreaker.StateTransition transition) {
        Instant now = clock.instant();
        stateSince = now;
        if (transition.getToState() == CircuitBreaker.State.OPEN) {
            openUntil = now.plus(openFor);
        }
        String from = label(transition.getFromState());
        String to = label(transition.getToState());
        transitions.computeIfAbsent(from + ">" + to, key -> Counter.builder("sluice_circuit_breaker_transitions")
                .description("Circuit breaker state transitions")
                .tag("breaker", config.qualifiedName()).tag("target", target).tag("from", from).tag("to", to)
                .register(registry)).increment();
        CircuitBreaker.Metrics metrics = circuit.getMetrics();
        if (transition.getToState() == CircuitBreaker.State.OPEN) {
            LOG.warn("circuit breaker {} ({}) {} -> open for {}: failure rate {}%, slow-call rate {}% over {} calls",
                    config.qualifiedName(), target, from, openFor, metrics.getFailureRate(), metrics.getSlowCallRate(),
                    metrics.getNumberOfBufferedCalls());
        } else {
            LOG.info("circuit breaker {} ({}) {} -> {}", config.qualifiedName(), target, from, to);
        }
    }

    private static String label(CircuitBreaker.State state) {
        return state.name().toLowerCase();
    }
}
