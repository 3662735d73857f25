package dev.sluice.sidecar.http;

import dev.sluice.api.config.FailureKind;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.retry.RetryRules;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelExceptionHandler;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;

/**
 * The one way a request reaches its upstream, the pod's app or an outbound route's API. Under a
 * {@link Guard} (a breaker for the target) the circuit breaker decides whether it is tried at all (an
 * open circuit answers 503 at once), every attempt has the guard's timeout (504), and failed attempts
 * are retried with backoff when the policy, the method, the body, the attempt count and the retry
 * budget all allow it. Without a guard a request to the app is one attempt within the sidecar's
 * upstream timeout: no breaker, no retry. Either way the upstream refusing the connection gives 502.
 * Everything runs on the exchange's I/O thread and nothing waits: connections, responses and backoff
 * are callbacks and timers ({@code executeAfter}), never a sleep.
 *
 * <p>A request is replayable when it has no body, or a body of at most {@code maxBodyBytes} with a
 * Content-Length, which is then read into memory first; any other body, and every body when nothing
 * is retried, streams to the upstream and is retried only after a connection failure, when none of it
 * was sent. A response is passed on, status and headers and a streamed body, as soon as its attempt
 * is not going to be retried: nothing is retried once the response has started.
 *
 * <p>A gRPC call is judged by the policy's gRPC statuses, not by its HTTP statuses and methods (every call is a
 * POST, every answer HTTP 200). Its body always streams, never held back until it is whole (a bidi call may wait for
 * the app before it sends more); when the policy names gRPC statuses a {@link RequestCopy} keeps a copy on the way.
 * The call is sent again from that copy only when its whole request arrived and is one gRPC message within
 * {@code maxBodyBytes} (a unary or server-streaming call, never a client-streaming or bidi one with several
 * messages), and its attempt failed before anything of the response was passed on: an answer that ends the call at
 * once (trailers-only) with a named status, a connection failure or reset, or the attempt's timeout.
 *
 * <p>This class decides about attempts (permission, timeout, retry, giving up); what one attempt
 * copies and streams between the client and the upstream is {@link Transport}'s, over the pooled
 * connections of an {@link UpstreamClient}.
 */
public final class Forwarder implements EnforcedHandler {
    /**
     * How long an upgraded connection (a WebSocket) may carry nothing either way before it is closed, unless the sidecar
     * is told otherwise: long enough for an application's own pings, short enough that a peer gone without a FIN frees them.
     */
    public static final Duration DEFAULT_TUNNEL_IDLE_TIMEOUT = Duration.ofHours(1);
    private static final byte[] NO_BODY = new byte[0];

    private final UpstreamClient app;
    private final long appTimeoutNanos;
    private final ProxyOverhead overhead;
    private final long tunnelIdleNanos;

    private Forwarder(UpstreamClient app, long appTimeoutNanos, ProxyOverhead overhead, long tunnelIdleNanos) {
        this.app = app;
        this.appTimeoutNanos = appTimeoutNanos;
        this.overhead = overhead;
        this.tunnelIdleNanos = tunnelIdleNanos;
    }

    /**
     * The traffic port's forwarder: a request no guard covers goes to {@code app} in one attempt within
     * {@code timeout}, a guarded one to its guard's client (the same pool for the app); {@code overhead}
     * gets the sidecar's part of each request that reaches the app. An upgraded connection (a WebSocket) is closed
     * once nothing has moved either way for {@code tunnelIdle}.
     */
    public static Forwarder toApp(UpstreamClient app, Duration timeout, Duration tunnelIdle, ProxyOverhead overhead) {
        return new Forwarder(app, timeout.toNanos(), overhead, tunnelIdle.toNanos());
    }

    /** An outbound route's forwarder: a route is compiled only with a breaker, so its calls always have a guard. */
    public static Forwarder toRoute() {
        return new Forwarder(null, 0, null, DEFAULT_TUNNEL_IDLE_TIMEOUT.toNanos());
    }

    @Override
    public void handleRequest(HttpServerExchange exchange, Enforced enforced) throws Exception {
        Guard guard = enforced.guard();
        Call call = guard == null ? new Call(exchange, null, app, appTimeoutNanos, overhead, tunnelIdleNanos)
                : new Call(exchange, guard, guard.client(), guard.timeoutNanos(), overhead, tunnelIdleNanos);
        RetryRules retry = call.retry;
        if (retry != null) {
            retry.budget().onRequest();
        }
        Breaker breaker = call.breaker;
        if (breaker != null && !breaker.tryAcquire()) {
            Rejections.circuitOpen(exchange, breaker);
            return;
        }
        long length = exchange.getRequestContentLength();
        // Chunked over HTTP/1; over HTTP/2 (gRPC) a body needs no Content-Length and ends with its stream, so a request
        // still open after its headers has one.
        boolean unknownLength = exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING)
                || length < 0 && !exchange.isRequestComplete();
        call.grpc = retry != null && Grpc.isCall(exchange);
        boolean retryableMethod = retry != null && !call.grpc && retry.allowsMethod(exchange.getRequestMethod());
        if (!unknownLength && length <= 0) {
            // A gRPC call without a message is not one to send again.
            call.body = NO_BODY;
            call.replayable = retryableMethod;
            exchange.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
        } else if (retryableMethod && !unknownLength && length <= retry.maxBodyBytes()) {
            exchange.getRequestReceiver().receiveFullBytes((ex, bytes) -> {
                call.body = bytes;
                call.replayable = true;
                ex.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
            }, (ex, error) -> {
                breaker.release();
                IoUtils.safeClose(ex.getConnection());
            });
        } else {
            if (call.grpc && retry.retriesGrpc()) {
                call.copy = RequestCopy.attach(exchange, retry.maxBodyBytes());
            }
            exchange.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
        }
    }

    /** One request's attempts. Confined to the exchange's I/O thread; {@code seq} tells a stale callback from a live one. */
    private static final class Call {
        private final HttpServerExchange exchange;
        /** The target's guard, breaker and retry policy; all three null when no breaker guards it. Retries need a guard. */
        private final Guard guard;
        private final Breaker breaker;
        private final RetryRules retry;
        private final UpstreamClient client;
        private final long timeoutNanos;
        private final ProxyOverhead overhead;
        private final long tunnelIdleNanos;
        private long untilFirstSend = -1;
        private long responseArrived;
        private byte[] body;
        private boolean replayable;
        /** A gRPC call under a retry policy, judged by its gRPC statuses. */
        private boolean grpc;
        /** The streaming gRPC body's copy, which makes the call replayable once it holds the one whole message; else null. */
        private RequestCopy copy;
        private boolean bodyStreamed;
        private boolean committed;
        /** The response is read to its end and its connection handed back: it is no longer this call's to close. */
        private boolean released;
        private int attempt;
        private int seq;
        private boolean attemptOver;
        private long attemptStart;
        private XnioExecutor.Key timer;
        private ClientConnection connection;
        /** The attempt's exchange with the upstream once its request is sent; null before. */
        private ClientExchange upstreamExchange;

        Call(HttpServerExchange exchange, Guard guard, UpstreamClient client, long timeoutNanos, ProxyOverhead overhead, long tunnelIdleNanos) {
            this.exchange = exchange;
            this.guard = guard;
            this.breaker = guard == null ? null : guard.breaker();
            this.retry = guard == null ? null : guard.retry();
            this.client = client;
            this.timeoutNanos = timeoutNanos;
            this.overhead = overhead;
            this.tunnelIdleNanos = tunnelIdleNanos;
        }

        /** Starts the next attempt; the breaker's permission for the first was taken on arrival. */
        void attempt() {
            attempt++;
            if (attempt > 1 && !breaker.tryAcquire()) {
                guard.retried(false);
                Rejections.circuitOpen(exchange, breaker);
                return;
            }
            int mine = ++seq;
            attemptOver = false;
            connection = null;
            upstreamExchange = null;
            attemptStart = System.nanoTime();
            timer = exchange.getIoThread().executeAfter(() -> timedOut(mine), timeoutNanos, TimeUnit.NANOSECONDS);
            client.connect(exchange, new ClientCallback<>() {
                @Override
                public void completed(ClientConnection result) {
                    if (stale(mine)) {
                        client.release(result);
                        return;
                    }
                    connection = result;
                    send(mine);
                }

                @Override
                public void failed(IOException e) {
                    failedAttempt(mine, FailureKind.ConnectFailure);
                }
            });
        }

        private void send(int mine) {
            ClientRequest request = new ClientRequest().setMethod(exchange.getRequestMethod()).setPath(client.path(exchange));
            Transport.copyRequestHeaders(exchange, body, client, request.getRequestHeaders());
            if (attempt == 1) {
                // Retries and their backoff are the app's failures, not the sidecar's overhead: only the first send counts.
                untilFirstSend = ProxyOverhead.sinceArrival(exchange, System.nanoTime());
            }
            connection.sendRequest(request, new ClientCallback<>() {
                @Override
                public void completed(ClientExchange sent) {
                    if (stale(mine)) {
                        client.discard(connection, sent);
                        return;
                    }
                    upstreamExchange = sent;
                    sent.setResponseListener(new ClientCallback<>() {
                        @Override
                        public void completed(ClientExchange received) {
                            if (!stale(mine)) {
                                responded(mine, received);
                            }
                        }

                        @Override
                        public void failed(IOException e) {
                            failedAttempt(mine, FailureKind.Reset);
                        }
                    });
                    writeBody(mine, sent);
                }

                @Override
                public void failed(IOException e) {
                    failedAttempt(mine, FailureKind.Reset);
                }
            });
        }

        private void writeBody(int mine, ClientExchange sent) {
            ChannelExceptionHandler<java.nio.channels.Channel> broken = (channel, e) -> failedAttempt(mine, FailureKind.Reset);
            if (body != null) {
                Transport.writeBuffered(body, sent.getRequestChannel(), broken);
                return;
            }
            bodyStreamed = true;
            Transport.streamRequestBody(exchange, sent, broken);
        }

        private void responded(int mine, ClientExchange received) {
            int status = Grpc.upstreamStatus(received.getResponse());
            responseArrived = System.nanoTime();
            long took = responseArrived - attemptStart;
            boolean success = breaker == null || breaker.onResponse(status, took);
            if (retry != null && (grpc ? retry.retriesGrpcStatus(Grpc.callStatus(received.getResponse())) : retry.retriesStatus(status))) {
                if (mayRetry(replayable())) {
                    closeAttempt(mine);
                    client.discard(received.getConnection(), received);
                    if (attempt > 1) {
                        guard.retried(false);
                    }
                    backOff();
                    return;
                }
                success = false;
            }
            if (attempt > 1) {
                guard.retried(success);
            }
            commit(mine, received);
        }

        private void commit(int mine, ClientExchange received) {
            committed = true;
            // No attempt follows: what was kept to send again would only hold memory while a long call streams on.
            body = null;
            if (copy != null) {
                copy.drop();
                copy = null;
            }
            Transport.copyResponseHead(received, exchange);
            boolean upgrade = Transport.isUpgrade(exchange);
            if (upgrade && received.getResponse().getResponseCode() == StatusCodes.SWITCHING_PROTOCOLS) {
                // The timeout is the handshake's; a tunnel lasts as long as its two ends keep it, or until it idles out.
                closeAttempt(mine);
                Tunnel.open(received, exchange, tunnelIdleNanos);
                recordOverhead();
                return;
            }
            ClientConnection used = received.getConnection();
            ChannelExceptionHandler<java.nio.channels.Channel> broken = (channel, e) -> {
                closeAttempt(mine);
                if (!released) {
                    client.discard(used, received);
                }
                resetClient();
            };
            Transport.streamResponseBody(received, exchange, () -> {
                closeAttempt(mine);
                released = true;
                if (upgrade || bodyStreamed && !exchange.isRequestComplete()) {
                    // An upgrade the app refused leaves the connection expecting one; an answer before the client
                    // finished its body leaves it still sending the body. Neither is fit for another request.
                    client.discard(used, received);
                } else {
                    client.release(used);
                }
            }, broken);
            recordOverhead();
        }

        /** The sidecar's part: arrival to the first send, plus the app's response to the start of the client's. */
        private void recordOverhead() {
            if (overhead != null && untilFirstSend >= 0) {
                overhead.record(untilFirstSend + System.nanoTime() - responseArrived);
            }
        }

        private void timedOut(int mine) {
            if (stale(mine)) {
                return;
            }
            if (committed) {
                closeAttempt(mine);
                client.discard(connection, upstreamExchange);
                resetClient();
                return;
            }
            failedAttempt(mine, FailureKind.Timeout);
        }

        private void failedAttempt(int mine, FailureKind kind) {
            if (stale(mine)) {
                return;
            }
            closeAttempt(mine);
            client.discard(connection, upstreamExchange);
            if (committed || exchange.isResponseStarted()) {
                // Too late for an answer of the sidecar's own: the client's stream (HTTP/2) or connection is reset instead.
                // Undertow starts a response itself when its own I/O fails, e.g. when direct memory runs out for a frame.
                resetClient();
                return;
            }
            if (breaker != null) {
                breaker.onError(kind, System.nanoTime() - attemptStart);
            }
            boolean sendsAgain = kind == FailureKind.ConnectFailure ? replayable() || !bodyStreamed : replayable();
            if (retry != null && mayRetry(sendsAgain)) {
                if (attempt > 1) {
                    guard.retried(false);
                }
                backOff();
                return;
            }
            if (attempt > 1) {
                guard.retried(false);
            }
            // 502, not 503, when the app cannot be reached: 503 is the sidecar's own shedding and open circuits.
            Rejections.upstreamFailed(exchange, kind == FailureKind.Timeout);
        }

        /**
         * Whether the whole request can be sent again: buffered, or a gRPC call whose copy turned out to hold its one
         * message, which is then the body of the next attempts. A request with trailers (gRPC clients send none) is not:
         * a copy of its body alone would be less than the call.
         */
        private boolean replayable() {
            if (!replayable && copy != null && exchange.getAttachment(HttpAttachments.REQUEST_TRAILERS) == null) {
                byte[] message = copy.message();
                if (message != null) {
                    body = message;
                    replayable = true;
                    copy = null;
                }
            }
            return replayable;
        }

        /** Whether another attempt may be made, taking a retry from the budget if so. */
        private boolean mayRetry(boolean sendsAgain) {
            if (!sendsAgain || committed || exchange.isResponseStarted()) {
                return false;
            }
            if (attempt >= retry.maxAttempts()) {
                guard.exhausted();
                return false;
            }
            if (!retry.budget().tryRetry()) {
                guard.deniedByBudget();
                return false;
            }
            return true;
        }

        private void backOff() {
            long delay = retry.delayNanos(attempt);
            exchange.getIoThread().executeAfter(this::attempt, delay, TimeUnit.NANOSECONDS);
        }

        /**
         * Ends a response that cannot be finished, so that the client sees a broken response rather than a short one:
         * its connection is closed, which over HTTP/2 resets only its stream ({@code Http2ServerConnection}), not the others.
         */
        private void resetClient() {
            IoUtils.safeClose(exchange.getConnection());
        }

        private boolean stale(int mine) {
            return mine != seq || attemptOver;
        }

        private void closeAttempt(int mine) {
            if (mine == seq) {
                attemptOver = true;
                if (timer != null) {
                    timer.remove();
                }
            }
        }
    }
}
