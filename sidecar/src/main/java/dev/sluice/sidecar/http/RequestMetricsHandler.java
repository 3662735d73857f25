package dev.sluice.sidecar.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.TimeUnit;

/**
 * Records every traffic request's duration, from its arrival to the end of the response, in a
 * histogram by status class ({@code sluice_proxy_request_duration_seconds}): the app's time included,
 * which {@link ProxyOverhead} leaves out. Needs the server option {@code RECORD_REQUEST_START_TIME}.
 */
public final class RequestMetricsHandler implements HttpHandler {
    private final HttpHandler next;
    private final Timer[] byStatusClass = new Timer[6];
    private final ExchangeCompletionListener recorder = this::record;

    public RequestMetricsHandler(MeterRegistry registry, HttpHandler next) {
        this.next = next;
        for (int statusClass = 1; statusClass <= 5; statusClass++) {
            byStatusClass[statusClass] = Timer.builder("sluice_proxy_request_duration")
                    .description("Time from a request's arrival at the sidecar to the end of its response")
                    .tag("status", statusClass + "xx")
                    .publishPercentileHistogram()
                    .register(registry);
        }
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        exchange.addExchangeCompleteListener(recorder);
        next.handleRequest(exchange);
    }

    private void record(HttpServerExchange exchange, ExchangeCompletionListener.NextListener nextListener) {
        try {
            long start = exchange.getRequestStartTime();
            // A gRPC call the sidecar refused is answered 200: counted as the status it stands for.
            int statusClass = Grpc.httpStatus(exchange) / 100;
            if (start > 0 && statusClass >= 1 && statusClass <= 5) {
                byStatusClass[statusClass].record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
        } finally {
            nextListener.proceed();
        }
    }
}
