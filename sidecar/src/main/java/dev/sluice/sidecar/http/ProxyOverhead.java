package dev.sluice.sidecar.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.undertow.server.HttpServerExchange;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice_proxy_overhead_seconds}: the latency the sidecar adds to a request on its way to the
 * app and back, without the app's own time, which {@code sluice_proxy_request_duration_seconds}
 * includes. One sample per request that reaches the app: from its arrival to its hand-over to the
 * upstream connection (matching, rate limits, a Redis round trip, a backpressure queue, connecting),
 * plus, from the app's response to the start of the response to the client. One timer registered up front; recording allocates nothing.
 * Needs the server option {@code RECORD_REQUEST_START_TIME}.
 */
public final class ProxyOverhead {
    private final Timer timer;

    public ProxyOverhead(MeterRegistry registry) {
        this.timer = Timer.builder("sluice_proxy_overhead")
                .description("Latency the sidecar adds to a request: arrival to upstream send, plus upstream response to the response's start")
                .publishPercentileHistogram()
                // Overheads are microseconds unless a request waits in a queue or on Redis; the default range starts at 1 ms.
                .minimumExpectedValue(Duration.ofNanos(5_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /** Time since {@code exchange} arrived, or -1 when its start time was not recorded. */
    static long sinceArrival(HttpServerExchange exchange, long nowNanos) {
        long start = exchange.getRequestStartTime();
        return start > 0 ? nowNanos - start : -1;
    }

    /** Records one request's overhead; a negative value (no start time) is ignored. */
    public void record(long nanos) {
        if (nanos >= 0) {
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
