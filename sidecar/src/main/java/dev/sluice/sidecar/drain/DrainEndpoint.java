package dev.sluice.sidecar.drain;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /drain?seconds=N} on the admin port, the app container's preStop hook (a kubelet httpGet hook
 * sends GET, hence a GET that changes state). With the {@link DrainToken} in {@value DrainToken#HEADER}, the
 * first call starts draining and answers after {@code seconds} (default {@value #DEFAULT_SECONDS}, at most
 * {@value #MAX_SECONDS}): the kubelet sends the app SIGTERM only then, so requests that still arrive while
 * the endpoint is being removed everywhere find the app serving. Any later call answers at once. The wait
 * holds no thread: the answer is a timer on the admin port's I/O thread.
 */
public final class DrainEndpoint implements HttpHandler {
    public static final int DEFAULT_SECONDS = 5;
    public static final int MAX_SECONDS = 300;

    private final Drain drain;
    private final DrainToken token;

    /** @param token the secret a call must present; null answers every call 404 */
    public DrainEndpoint(Drain drain, DrainToken token) {
        this.drain = drain;
        this.token = token;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (token == null) {
            text(exchange, StatusCodes.NOT_FOUND, "/drain is off: the sidecar was started without " + DrainToken.ENVIRONMENT_VARIABLE + "\n");
            return;
        }
        if (!token.matches(exchange.getRequestHeaders().getFirst(DrainToken.HEADER))) {
            text(exchange, StatusCodes.FORBIDDEN, "/drain needs the sidecar's token in the " + DrainToken.HEADER + " header\n");
            return;
        }
        int seconds;
        try {
            seconds = seconds(exchange.getQueryParameters().get("seconds"));
        } catch (IllegalArgumentException e) {
            text(exchange, StatusCodes.BAD_REQUEST, e.getMessage() + "\n");
            return;
        }
        if (!drain.start("/drain called, answering in " + seconds + "s")) {
            text(exchange, StatusCodes.OK, "draining since " + drain.since() + " already\n");
            return;
        }
        String answer = "drained for " + seconds + "s since " + drain.since() + "\n";
        if (seconds == 0) {
            text(exchange, StatusCodes.OK, answer);
            return;
        }
        exchange.dispatch(SameThreadExecutor.INSTANCE, () ->
                exchange.getIoThread().executeAfter(() -> text(exchange, StatusCodes.OK, answer), seconds, TimeUnit.SECONDS));
    }

    /** The {@code seconds} query parameter: a whole number from 0 to {@value #MAX_SECONDS}, {@value #DEFAULT_SECONDS} when absent. */
    static int seconds(Deque<String> values) {
        if (values == null || values.isEmpty()) {
            return DEFAULT_SECONDS;
        }
        String value = values.getFirst();
        try {
            int seconds = Integer.parseInt(value.trim());
            if (seconds >= 0 && seconds <= MAX_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException("seconds must be a whole number from 0 to " + MAX_SECONDS + ", got '" + value + "'");
    }

    private static void text(HttpServerExchange exchange, int status, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send(body);
    }
}
