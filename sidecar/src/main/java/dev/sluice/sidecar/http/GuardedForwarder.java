package dev.sluice.sidecar.http;

import dev.sluice.api.config.FailureKind;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.retry.RetryRules;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelExceptionHandler;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSinkChannel;

/**
 * Forwards a request under its target's {@link Guard}: the circuit breaker decides whether it is tried
 * at all (an open circuit answers 503 at once), every attempt has a timeout (504), and failed attempts
 * are retried with backoff when the policy, the method, the body, the attempt count and the retry
 * budget all allow it. Everything runs on the exchange's I/O thread and nothing waits: connections,
 * responses and backoff are callbacks and timers ({@code executeAfter}), never a sleep.
 *
 * <p>A request is replayable when it has no body, or a body of at most {@code maxBodyBytes} with a
 * Content-Length, which is then read into memory first; any other body streams to the upstream and is
 * retried only after a connection failure, when none of it was sent. A response is passed on, status
 * and headers and a streamed body, as soon as its attempt is not going to be retried: nothing is
 * retried once the response has started. Without a guard (no breaker for the target) the request goes
 * to {@code unguarded}, the plain proxy.
 *
 * <p>This class decides about attempts (permission, timeout, retry, giving up); what one attempt
 * copies and streams between the client and the upstream is {@link Transport}'s.
 */
public final class GuardedForwarder implements EnforcedHandler {
    private static final byte[] NO_BODY = new byte[0];

    private final HttpHandler unguarded;
    private final ProxyOverhead overhead;

    /** {@code overhead} (null: not recorded) gets the sidecar's part of each request that reaches the upstream. */
    public GuardedForwarder(HttpHandler unguarded, ProxyOverhead overhead) {
        this.unguarded = unguarded;
        this.overhead = overhead;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange, Enforced enforced) throws Exception {
        Guard current = enforced.guard();
        if (current == null) {
            unguarded.handleRequest(exchange);
            return;
        }
        RetryRules retry = current.retry();
        if (retry != null) {
            retry.budget().onRequest();
        }
        Breaker breaker = current.breaker();
        if (!breaker.tryAcquire()) {
            Rejections.circuitOpen(exchange, breaker);
            return;
        }
        long length = exchange.getRequestContentLength();
        boolean chunked = exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
        boolean retryableMethod = retry != null && retry.allowsMethod(exchange.getRequestMethod());
        Call call = new Call(exchange, current, overhead);
        if (!chunked && length <= 0) {
            call.body = NO_BODY;
            call.replayable = retryableMethod;
            exchange.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
        } else if (retryableMethod && !chunked && length <= retry.maxBodyBytes()) {
            exchange.getRequestReceiver().receiveFullBytes((ex, bytes) -> {
                call.body = bytes;
                call.replayable = true;
                ex.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
            }, (ex, error) -> {
                breaker.release();
                IoUtils.safeClose(ex.getConnection());
            });
        } else {
            exchange.dispatch(SameThreadExecutor.INSTANCE, call::attempt);
        }
    }

    /** One request's attempts. Confined to the exchange's I/O thread; {@code seq} tells a stale callback from a live one. */
    private static final class Call {
        private final HttpServerExchange exchange;
        private final Guard guard;
        private final UpstreamClient client;
        private final ProxyOverhead overhead;
        private long untilFirstSend = -1;
        private long responseArrived;
        private byte[] body;
        private boolean replayable;
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

        Call(HttpServerExchange exchange, Guard guard, ProxyOverhead overhead) {
            this.exchange = exchange;
            this.guard = guard;
            this.client = guard.client();
            this.overhead = overhead;
        }

        /** Starts the next attempt; the breaker's permission for the first was taken on arrival. */
        void attempt() {
            attempt++;
            if (attempt > 1 && !guard.breaker().tryAcquire()) {
                guard.retried(false);
                Rejections.circuitOpen(exchange, guard.breaker());
                return;
            }
            int mine = ++seq;
            attemptOver = false;
            connection = null;
            attemptStart = System.nanoTime();
            timer = exchange.getIoThread().executeAfter(() -> timedOut(mine), guard.timeoutNanos(), TimeUnit.NANOSECONDS);
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
                        return;
                    }
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
                    writeBody(mine, sent.getRequestChannel());
                }

                @Override
                public void failed(IOException e) {
                    failedAttempt(mine, FailureKind.Reset);
                }
            });
        }

        private void writeBody(int mine, StreamSinkChannel upstream) {
            ChannelExceptionHandler<java.nio.channels.Channel> broken = (channel, e) -> failedAttempt(mine, FailureKind.Reset);
            if (body != null) {
                Transport.writeBuffered(body, upstream, broken);
                return;
            }
            bodyStreamed = true;
            Transport.streamRequestBody(exchange, upstream, broken);
        }

        private void responded(int mine, ClientExchange received) {
            int status = received.getResponse().getResponseCode();
            responseArrived = System.nanoTime();
            long took = responseArrived - attemptStart;
            boolean success = guard.breaker().onResponse(status, took);
            RetryRules retry = guard.retry();
            if (retry != null && retry.retriesStatus(status)) {
                if (mayRetry(replayable)) {
                    closeAttempt(mine);
                    IoUtils.safeClose(received.getConnection());
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
            Transport.copyResponseHead(received, exchange);
            ClientConnection used = received.getConnection();
            ChannelExceptionHandler<java.nio.channels.Channel> broken = (channel, e) -> {
                closeAttempt(mine);
                if (!released) {
                    IoUtils.safeClose(used);
                }
                IoUtils.safeClose(exchange.getConnection());
            };
            Transport.streamResponseBody(received, exchange, () -> {
                closeAttempt(mine);
                released = true;
                if (bodyStreamed && !exchange.isRequestComplete()) {
                    // The app answered before the client finished its body: the connection is still sending it.
                    IoUtils.safeClose(used);
                } else {
                    client.release(used);
                }
            }, broken);
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
                IoUtils.safeClose(connection);
                IoUtils.safeClose(exchange.getConnection());
                return;
            }
            failedAttempt(mine, FailureKind.Timeout);
        }

        private void failedAttempt(int mine, FailureKind kind) {
            if (stale(mine)) {
                return;
            }
            closeAttempt(mine);
            IoUtils.safeClose(connection);
            if (committed) {
                IoUtils.safeClose(exchange.getConnection());
                return;
            }
            guard.breaker().onError(kind, System.nanoTime() - attemptStart);
            boolean sendsAgain = kind == FailureKind.ConnectFailure ? replayable || !bodyStreamed : replayable;
            if (guard.retry() != null && mayRetry(sendsAgain)) {
                if (attempt > 1) {
                    guard.retried(false);
                }
                backOff();
                return;
            }
            if (attempt > 1) {
                guard.retried(false);
            }
            exchange.setStatusCode(kind == FailureKind.Timeout ? StatusCodes.GATEWAY_TIME_OUT : StatusCodes.BAD_GATEWAY);
            exchange.endExchange();
        }

        /** Whether another attempt may be made, taking a retry from the budget if so. */
        private boolean mayRetry(boolean sendsAgain) {
            RetryRules retry = guard.retry();
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
            long delay = guard.retry().delayNanos(attempt);
            exchange.getIoThread().executeAfter(this::attempt, delay, TimeUnit.NANOSECONDS);
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
