package dev.sluice.sidecar.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.sidecar.Sidecar;
import dev.sluice.sidecar.SidecarFixture;
import dev.sluice.sidecar.SidecarSettings;
import dev.sluice.sidecar.redis.RedisServer;
import dev.sluice.sidecar.grpc.test.Words;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through the sidecar, grpc-java on both ends over loopback: the client speaks HTTP/2 to the
 * sidecar by prior knowledge, the sidecar to the server over h2c ({@code --upstream h2c://}). Calls and
 * their trailers pass; what the sidecar refuses reaches the client as a gRPC status it understands; a
 * call the app fails before answering is sent again when the retry policy names the status and the call's
 * request is one message.
 */
class GrpcIT {
    private static final String SERVICE = "sluice.test.Echo";
    /** {@code rpc Say (Words) returns (Words)}: the descriptor protoc-gen-grpc-java would generate. */
    private static final MethodDescriptor<Words, Words> SAY = method("Say", MethodDescriptor.MethodType.UNARY);
    /** {@code rpc Repeat (Words) returns (stream Words)}. */
    private static final MethodDescriptor<Words, Words> REPEAT = method("Repeat", MethodDescriptor.MethodType.SERVER_STREAMING);
    /** {@code rpc Collect (stream Words) returns (Words)}. */
    private static final MethodDescriptor<Words, Words> COLLECT = method("Collect", MethodDescriptor.MethodType.CLIENT_STREAMING);
    /** {@code rpc Chat (stream Words) returns (stream Words)}. */
    private static final MethodDescriptor<Words, Words> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    private static final Metadata.Key<String> PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path directory;
    private Server server;
    private Sidecar sidecar;
    private ManagedChannel channel;
    private Echo echo;
    private final AtomicInteger calls = new AtomicInteger();
    /** How many calls from now on the server fails with {@link #failingWith} before any message, as a struggling app does. */
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile Status failingWith = Status.UNAVAILABLE;
    /** Whether the server holds the next Say call until the test ends, as an app that hangs does. */
    private final AtomicBoolean hangOnce = new AtomicBoolean();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch holding = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        if (sidecar != null) {
            sidecar.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void unaryAndServerStreamingCallsPassWithTheirTrailers() throws Exception {
        start("policies: []\n");

        assertThat(echo.say(words("hello")).getText()).isEqualTo("hello");
        assertThat(texts(echo.repeat(words("again").toBuilder().setCount(5).build()))).containsExactly("again", "again", "again", "again", "again");

        // A call that fails at once: its status and message come trailers-only, in the response's headers.
        StatusRuntimeException notFound = catchThrowableOfType(StatusRuntimeException.class,
                () -> echo.say(words("x").toBuilder().setFailWith(Status.Code.NOT_FOUND.value()).build()));
        assertThat(notFound.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(notFound.getStatus().getDescription()).isEqualTo("failed as asked: 100% sure");

        // A stream that fails after messages: the status comes in real trailers, after the data.
        List<String> received = new ArrayList<>();
        Iterator<Words> stream = echo.repeat(words("part").toBuilder().setCount(3).setFailWith(Status.Code.FAILED_PRECONDITION.value()).build());
        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () -> stream.forEachRemaining(w -> received.add(w.getText())));
        assertThat(received).containsExactly("part", "part", "part");
        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(failed.getStatus().getDescription()).isEqualTo("failed as asked: 100% sure");
    }

    @Test
    void aRateLimitedCallIsResourceExhaustedWithTheRetryDelay() throws Exception {
        start("""
                policies:
                  - name: grpc
                    rules:
                      - name: say
                        match: {path: {exact: /sluice.test.Echo/Say}}
                        limits: [{requests: 3, period: 1h}]
                """);

        for (int i = 0; i < 3; i++) {
            assertThat(echo.say(words("call " + i)).getText()).isEqualTo("call " + i);
        }
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("one too many")));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).startsWith("rate limit exceeded: rule say of policy grpc allows 3");
        Metadata trailers = refused.getTrailers();
        assertThat(Long.parseLong(trailers.get(PUSHBACK))).isPositive();
        assertThat(Long.parseLong(trailers.get(RETRY_AFTER))).isPositive();
        assertThat(calls.get()).as("calls that reached the server").isEqualTo(3);
        // The limit is the method's: the other method of the service is not limited.
        assertThat(texts(echo.repeat(words("still").toBuilder().setCount(2).build()))).containsExactly("still", "still");
    }

    @Test
    void aShadowRuleRefusesNoCallAndCountsTheOnesItWouldHave() throws Exception {
        start("""
                policies:
                  - name: candidate
                    mode: Shadow
                    rules:
                      - name: say
                        match: {path: {exact: /sluice.test.Echo/Say}}
                        limits: [{requests: 2, period: 1h}]
                """);

        for (int i = 0; i < 5; i++) {
            assertThat(echo.say(words("call " + i)).getText()).isEqualTo("call " + i);
        }

        assertThat(calls.get()).as("calls that reached the server").isEqualTo(5);
        String metrics = metrics(sidecar);
        assertThat(SidecarFixture.sample(metrics, "rate_limit_shadow_rejected_total{limit_type=\"endpoint\",policy=\"candidate\",rule=\"say\"}"))
                .isEqualTo(3);
        assertThat(SidecarFixture.sample(metrics, "rate_limit_requests_total{limit_type=\"endpoint\",policy=\"candidate\",rule=\"say\"}"))
                .isEqualTo(5);
    }

    @Test
    void aGlobalLimitCountsTheCallsOfTwoSidecarsTogether() throws Exception {
        try (RedisServer redis = RedisServer.start(directory.resolve("redis"))) {
            String config = """
                    redis: {addresses: ['%s'], strategy: Script, timeout: 2s}
                    policies:
                      - name: grpc
                        scope: Global
                        rules:
                          - name: say
                            match: {path: {exact: /sluice.test.Echo/Say}}
                            limits: [{requests: 4, period: 1h}]
                    """.formatted(redis.address());
            start(config);
            Path secondFile = directory.resolve("second.yaml");
            Files.writeString(secondFile, config);
            try (Sidecar second = new Sidecar(SidecarSettings.loopback(secondFile, URI.create("h2c://127.0.0.1:" + server.getPort()))).start()) {
                ManagedChannel secondChannel = NettyChannelBuilder.forAddress("127.0.0.1", second.port()).usePlaintext().build();
                try {
                    Echo viaSecond = new Echo(secondChannel);
                    for (int i = 0; i < 2; i++) {
                        assertThat(echo.say(words("first " + i)).getText()).isEqualTo("first " + i);
                        assertThat(viaSecond.say(words("second " + i)).getText()).isEqualTo("second " + i);
                    }

                    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> viaSecond.say(words("fifth")));

                    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(refused.getStatus().getDescription()).contains("rule say of policy grpc allows 4");
                    assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("sixth"))).getStatus().getCode())
                            .as("the first sidecar, too").isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(calls.get()).as("calls that reached the server").isEqualTo(4);
                } finally {
                    secondChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            // Before the Redis server goes, so that the first sidecar stops as it would with its store up.
            sidecar.close();
        }
    }

    @Test
    void keysCanBeTheServiceAndTheMethod() throws Exception {
        start("""
                policies:
                  - name: grpc
                    rules:
                      - name: per-method
                        match: {path: {prefix: /sluice.test.Echo/}}
                        key: [{type: PathSegment, segment: 0}, {type: PathSegment, segment: 1}]
                        limits: [{requests: 2, period: 1h}]
                """);

        echo.say(words("a"));
        echo.say(words("b"));
        assertThat(texts(echo.repeat(words("c").toBuilder().setCount(1).build()))).containsExactly("c");
        assertThat(texts(echo.repeat(words("d").toBuilder().setCount(1).build()))).containsExactly("d");

        assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("e"))).getStatus().getCode())
                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> texts(echo.repeat(words("f").toBuilder().setCount(1).build())))
                .getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void anOpenCircuitIsUnavailable() throws Exception {
        start("""
                breakers:
                  - name: app
                    target: Inbound
                    failureRateThreshold: 50
                    minimumNumberOfCalls: 4
                    slidingWindow: {type: Count, size: 4}
                    waitDurationInOpenState: 1h
                """);
        Words failing = words("x").toBuilder().setFailWith(Status.Code.UNAVAILABLE.value()).build();
        for (int i = 0; i < 4; i++) {
            StatusRuntimeException fromServer = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(failing));
            assertThat(fromServer.getStatus().getDescription()).isEqualTo("failed as asked: 100% sure");
        }

        StatusRuntimeException open = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("healthy again")));

        assertThat(open.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(open.getStatus().getDescription()).startsWith("circuit breaker app (").contains(") is open");
        assertThat(Long.parseLong(open.getTrailers().get(PUSHBACK))).isPositive();
        assertThat(calls.get()).as("an open circuit does not call the server").isEqualTo(4);
    }

    @Test
    void aShedCallIsUnavailableWhileAnotherStreamOfTheConnectionHoldsTheSlot() throws Exception {
        start("""
                policies:
                  - name: grpc
                    rules:
                      - name: all
                        limits: [{requests: 1000000, period: 1s}]
                    backpressure:
                      concurrency: {maxConcurrent: 1, queueSize: 0}
                """);
        CountDownLatch done = new CountDownLatch(1);
        ClientCalls.asyncServerStreamingCall(channel.newCall(REPEAT, CallOptions.DEFAULT), words("hold").toBuilder().setCount(1).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(Words value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("the first call reached the server").isTrue();

        StatusRuntimeException shed = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("second stream")));

        assertThat(shed.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(shed.getStatus().getDescription()).startsWith("overloaded:");
        release.countDown();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(echo.say(words("after")).getText()).isEqualTo("after");
    }

    /** An inbound breaker that never opens here, retrying gRPC calls that end with one of {@code grpcRetryOn}. */
    private static String retrying(String grpcRetryOn, String extra) {
        return """
                breakers:
                  - name: app
                    target: Inbound
                    minimumNumberOfCalls: 1000
                    slidingWindow: {type: Count, size: 1000}
                    timeout: 2s
                    retry:
                      maxAttempts: 3
                      backoffBase: 1ms
                      backoffMax: 5ms
                      minRetriesPerSecond: 10
                      grpcRetryOn: %s%s
                """.formatted(grpcRetryOn, extra);
    }

    @Test
    void aUnaryCallTheAppFailsUnavailableIsSentAgainWhenThePolicyNamesIt() throws Exception {
        start(retrying("[UNAVAILABLE]", ""));
        failuresLeft.set(2);

        assertThat(echo.say(words("hello, again")).getText()).as("the request the app answered is the client's").isEqualTo("hello, again");

        assertThat(calls.get()).as("attempts that reached the server").isEqualTo(3);
        String metrics = metrics(sidecar);
        assertThat(SidecarFixture.sample(metrics, "retry_attempts_total{success=\"false\",target=\"inbound\"}")).isEqualTo(1);
        assertThat(SidecarFixture.sample(metrics, "retry_attempts_total{success=\"true\",target=\"inbound\"}")).isEqualTo(1);

        failuresLeft.set(5);
        StatusRuntimeException exhausted = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("never")));
        assertThat(exhausted.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(exhausted.getStatus().getDescription()).as("the app's own answer, after the last attempt")
                .isEqualTo("failed as asked: 100% sure");
        assertThat(calls.get()).isEqualTo(6);
        assertThat(SidecarFixture.sample(metrics(sidecar), "sluice_retries_denied_total{reason=\"attempts\",target=\"inbound\"}")).isEqualTo(1);
    }

    @Test
    void aCallIsSentAgainOnlyForTheStatusesThePolicyNames() throws Exception {
        start(retrying("[RESOURCE_EXHAUSTED]", ""));
        failuresLeft.set(1);

        StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("x")));

        assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(calls.get()).as("UNAVAILABLE is not named: one attempt").isEqualTo(1);

        failingWith = Status.RESOURCE_EXHAUSTED;
        failuresLeft.set(1);
        assertThat(echo.say(words("y")).getText()).isEqualTo("y");
        assertThat(calls.get()).isEqualTo(3);
    }

    @Test
    void withoutGrpcStatusesInThePolicyNoCallIsSentAgain() throws Exception {
        start(retrying("[]", "\n      retryOn: [502, 503, 504]\n      methods: [GET, POST]"));
        failuresLeft.set(1);

        StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("x")));

        assertThat(unavailable.getStatus().getCode()).as("a trailers-only UNAVAILABLE counts as 503 for the breaker, not for retryOn")
                .isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(calls.get()).isEqualTo(1);
    }

    @Test
    void aClientStreamingCallOfTwoMessagesIsNeverSentAgain() throws Exception {
        start(retrying("[UNAVAILABLE]", ""));
        failuresLeft.set(1);

        StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class, () -> collect("one", "two"));

        assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(calls.get()).as("one attempt").isEqualTo(1);
        assertThat(collect("three", "four")).as("the same call passes whole when the app is well").isEqualTo("three four");
        failuresLeft.set(1);
        assertThat(collect("five")).as("a client-streaming call of one message is one request").isEqualTo("five");
        assertThat(calls.get()).isEqualTo(4);
    }

    /** Were the call's body held back until whole, to be sent again, the client would wait for an echo that never comes. */
    @Test
    void aBidiCallWhoseClientWaitsForEachAnswerIsNotHeldBackForACopy() throws Exception {
        start(retrying("[UNAVAILABLE]", ""));
        BlockingQueue<Words> echoes = new LinkedBlockingQueue<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        StreamObserver<Words> requests = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(CHAT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), new StreamObserver<>() {
                    @Override
                    public void onNext(Words value) {
                        echoes.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });

        List<String> answered = new ArrayList<>();
        for (String text : List.of("ping", "pong", "over")) {
            requests.onNext(words(text));
            Words echo = echoes.poll(30, TimeUnit.SECONDS);
            assertThat(echo).as("the answer to " + text + ", before the client sends more").isNotNull();
            answered.add(echo.getText());
        }
        requests.onCompleted();
        ended.get(30, TimeUnit.SECONDS);

        assertThat(answered).containsExactly("ping", "pong", "over");
        assertThat(calls.get()).isEqualTo(1);
    }

    @Test
    void aServerStreamingCallIsSentAgainWhenItFailsBeforeAnyMessageAndNotAfter() throws Exception {
        start(retrying("[UNAVAILABLE]", ""));
        failuresLeft.set(1);

        assertThat(texts(echo.repeat(words("again").toBuilder().setCount(3).build()))).containsExactly("again", "again", "again");
        assertThat(calls.get()).isEqualTo(2);

        List<String> received = new ArrayList<>();
        Iterator<Words> stream = echo.repeat(words("part").toBuilder().setCount(2).setFailWith(Status.Code.UNAVAILABLE.value()).build());
        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () -> stream.forEachRemaining(w -> received.add(w.getText())));
        assertThat(received).as("messages passed on: the status in the trailers comes too late to retry").containsExactly("part", "part");
        assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(calls.get()).isEqualTo(3);
    }

    @Test
    void aCallLargerThanMaxBodyBytesIsNotSentAgain() throws Exception {
        start(retrying("[UNAVAILABLE]", "\n      maxBodyBytes: 64"));
        failuresLeft.set(1);

        StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class, () -> echo.say(words("x".repeat(100))));

        assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(calls.get()).isEqualTo(1);
        failuresLeft.set(1);
        assertThat(echo.say(words("x".repeat(40))).getText()).as("one within the limit is").hasSize(40);
        assertThat(calls.get()).isEqualTo(3);
    }

    @Test
    void aCallWhoseAttemptTimesOutBeforeItsAnswerIsSentAgain() throws Exception {
        start(retrying("[UNAVAILABLE]", ""));
        hangOnce.set(true);

        assertThat(echo.say(words("patience")).getText()).isEqualTo("patience");

        assertThat(holding.getCount()).as("the first attempt reached the server and hung").isZero();
        assertThat(calls.get()).isEqualTo(2);
    }

    /** A client-streaming call of {@code texts}, one message each; the server answers them joined. */
    private String collect(String... texts) throws Exception {
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
        CompletableFuture<Words> answer = new CompletableFuture<>();
        StreamObserver<Words> requests = ClientCalls.asyncClientStreamingCall(channel.newCall(COLLECT, options), new StreamObserver<>() {
            @Override
            public void onNext(Words value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.complete(null);
            }
        });
        for (String text : texts) {
            requests.onNext(words(text));
        }
        requests.onCompleted();
        try {
            return answer.get(30, TimeUnit.SECONDS).getText();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static MethodDescriptor<Words, Words> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<Words, Words>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(ProtoUtils.marshaller(Words.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(Words.getDefaultInstance()))
                .build();
    }

    /** The client's blocking stub, as generated code would offer it, each call with a deadline. */
    private record Echo(ManagedChannel channel) {
        Words say(Words request) {
            return ClientCalls.blockingUnaryCall(channel, SAY, options(), request);
        }

        Iterator<Words> repeat(Words request) {
            return ClientCalls.blockingServerStreamingCall(channel, REPEAT, options(), request);
        }

        private static CallOptions options() {
            return CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
        }
    }

    private static Words words(String text) {
        return Words.newBuilder().setText(text).build();
    }

    private static List<String> texts(Iterator<Words> stream) {
        List<String> texts = new ArrayList<>();
        stream.forEachRemaining(w -> texts.add(w.getText()));
        return texts;
    }

    /** The sidecar's Prometheus text. */
    private static String metrics(Sidecar sidecar) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The Echo server, a sidecar in front of it over h2c, and a client channel to the sidecar. */
    private void start(String config) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new EchoService().definition()).build().start();
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, config);
        sidecar = new Sidecar(SidecarSettings.loopback(file, URI.create("h2c://127.0.0.1:" + server.getPort()))).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", sidecar.port()).usePlaintext().build();
        echo = new Echo(channel);
    }

    private final class EchoService {
        ServerServiceDefinition definition() {
            return ServerServiceDefinition.builder(SERVICE)
                    .addMethod(SAY, ServerCalls.asyncUnaryCall(this::say))
                    .addMethod(REPEAT, ServerCalls.asyncServerStreamingCall(this::repeat))
                    .addMethod(COLLECT, ServerCalls.asyncClientStreamingCall(this::collect))
                    .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(this::chat))
                    .build();
        }

        void say(Words request, StreamObserver<Words> response) {
            calls.incrementAndGet();
            if (hangOnce.getAndSet(false)) {
                holding.countDown();
                awaitRelease();
            }
            if (failsNow(response)) {
                return;
            }
            if (request.getFailWith() != 0) {
                response.onError(failure(request));
                return;
            }
            response.onNext(words(request.getText()));
            response.onCompleted();
        }

        void repeat(Words request, StreamObserver<Words> response) {
            calls.incrementAndGet();
            if (request.getText().equals("hold")) {
                holding.countDown();
                awaitRelease();
            }
            if (failsNow(response)) {
                return;
            }
            for (int i = 0; i < request.getCount(); i++) {
                response.onNext(words(request.getText()));
            }
            if (request.getFailWith() != 0) {
                response.onError(failure(request));
                return;
            }
            response.onCompleted();
        }

        StreamObserver<Words> collect(StreamObserver<Words> response) {
            List<String> texts = new ArrayList<>();
            return new StreamObserver<>() {
                @Override
                public void onNext(Words value) {
                    texts.add(value.getText());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    calls.incrementAndGet();
                    if (failsNow(response)) {
                        return;
                    }
                    response.onNext(words(String.join(" ", texts)));
                    response.onCompleted();
                }
            };
        }

        /** Echoes each message as it comes. */
        StreamObserver<Words> chat(StreamObserver<Words> response) {
            calls.incrementAndGet();
            return new StreamObserver<>() {
                @Override
                public void onNext(Words value) {
                    response.onNext(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    response.onCompleted();
                }
            };
        }

        /** Fails the call before any message (trailers-only) while {@link #failuresLeft} says so. */
        private boolean failsNow(StreamObserver<Words> response) {
            if (failuresLeft.getAndUpdate(left -> Math.max(0, left - 1)) == 0) {
                return false;
            }
            response.onError(failingWith.withDescription("failed as asked: 100% sure").asRuntimeException());
            return true;
        }

        private void awaitRelease() {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** A message with a character gRPC percent-encodes, to see it decoded intact. */
        private static StatusRuntimeException failure(Words request) {
            return Status.fromCodeValue(request.getFailWith()).withDescription("failed as asked: 100% sure").asRuntimeException();
        }
    }
}
