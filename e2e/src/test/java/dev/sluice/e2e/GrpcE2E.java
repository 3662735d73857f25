package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.UnknownFieldSet;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC on the real cluster: grpc-go's interop test server ({@code grpc.testing.TestService}, the image
 * {@code e2e/cluster/build.sh} builds) as a Deployment in an injected namespace, behind a Service whose
 * port says {@code appProtocol: kubernetes.io/h2c}. The injector reads that Service and has the sidecar
 * call the app over HTTP/2 ({@code h2c://}); grpc-java in this JVM calls through the ClusterIP. A
 * RateLimitPolicy limits one method, {@code EmptyCall}, per minute: beyond it the sidecar answers
 * {@code RESOURCE_EXHAUSTED} with its retry delay, while {@code UnaryCall} of the same service is not
 * limited.
 *
 * <p>No protoc: {@code grpc.testing.Empty} is {@code google.protobuf.Empty} on the wire, and the other
 * messages are written and read by field number ({@link UnknownFieldSet}), from grpc-go's
 * {@code interop/grpc_testing/messages.proto}.
 */
@ExtendWith(ClusterExtension.class)
class GrpcE2E {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcE2E.class);
    private static final String NAMESPACE = "grpc-shop";
    private static final String APP = "interop";
    /** Written by {@code e2e/cluster/build.sh}, tagged with the grpc-go release of {@code e2e/cluster/grpc/go.mod}. */
    private static final String IMAGE = "localhost/grpc-interop:1.85.0";
    private static final Path IMAGE_TAR = Path.of("/var/lib/sluice-node/images/grpc-interop.tar");
    /** The server's port, named grpc, and the Service's: the one the sidecar takes over. */
    private static final int APP_PORT = 50051;
    /** EmptyCall's limit per minute: a minute, not an hour, as a gRPC method's limit would be (and a Local limit of an hour gets a warning). */
    private static final int LIMIT = 3;
    private static final String SERVICE = "grpc.testing.TestService";
    private static final MethodDescriptor.Marshaller<UnknownFieldSet> BY_FIELD_NUMBER = new FieldsMarshaller();
    /** {@code rpc EmptyCall(Empty) returns (Empty)}: limited. */
    private static final MethodDescriptor<Empty, Empty> EMPTY_CALL = MethodDescriptor.<Empty, Empty>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "EmptyCall"))
            .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance())).build();
    /** {@code rpc UnaryCall(SimpleRequest) returns (SimpleResponse)}: not limited. */
    private static final MethodDescriptor<UnknownFieldSet, UnknownFieldSet> UNARY_CALL = method("UnaryCall", MethodDescriptor.MethodType.UNARY);
    /** {@code rpc StreamingOutputCall(StreamingOutputCallRequest) returns (stream StreamingOutputCallResponse)}. */
    private static final MethodDescriptor<UnknownFieldSet, UnknownFieldSet> STREAMING_OUTPUT_CALL =
            method("StreamingOutputCall", MethodDescriptor.MethodType.SERVER_STREAMING);
    /** Metadata the interop server's UnaryCall sends back: this one in its headers, ... */
    private static final Metadata.Key<String> ECHO_INITIAL = Metadata.Key.of("x-grpc-test-echo-initial", Metadata.ASCII_STRING_MARSHALLER);
    /** ... this one in its trailers, after the response message: trailers the app wrote, through the sidecar. */
    private static final Metadata.Key<byte[]> ECHO_TRAILING = Metadata.Key.of("x-grpc-test-echo-trailing-bin", Metadata.BINARY_BYTE_MARSHALLER);
    private static final Metadata.Key<String> PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> RATELIMIT_POLICY = Metadata.Key.of("ratelimit-policy", Metadata.ASCII_STRING_MARSHALLER);
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
    private static final Duration READY = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    static TestCluster cluster;
    static Pod pod;
    static ManagedChannel channel;

    @BeforeAll
    static void deployTheServerBehindAnH2cService(TestCluster testCluster) {
        cluster = testCluster;
        if (!Files.isRegularFile(IMAGE_TAR)) {
            throw new IllegalStateException(IMAGE_TAR + " is missing: GrpcE2E runs grpc-go's interop server from it; run `bash e2e/cluster/build.sh`");
        }
        cluster.operator();
        cluster.kubectl().runWithInput(SampleApp.injectedRestrictedNamespace(NAMESPACE), "apply", "-f", "-").orThrow();
        // The policy first, rendered before the pod exists (as SampleApp.applyPolicy does), so the sidecar starts enforcing it.
        cluster.kubectl().runWithInput("""
                apiVersion: sluice.dev/v1alpha1
                kind: RateLimitPolicy
                metadata: {name: grpc}
                spec:
                  podSelector:
                    matchLabels: {app: %s}
                  rules:
                    - name: empty-call
                      match:
                        path: {exact: /%s/EmptyCall}
                      limits:
                        - requests: %d
                          period: 1m
                """.formatted(APP, SERVICE, LIMIT), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Accepted", "--timeout=60s", "rlp/grpc").orThrow();
        await("sidecar ConfigMap in " + NAMESPACE).atMost(Duration.ofMinutes(1))
                .until(() -> cluster.client().configMaps().inNamespace(NAMESPACE).withName("sluice-config").get() != null);
        // The Service before the Deployment: the injector reads the Services that select a pod when the pod is
        // created, and a Service created later reaches the sidecar only when the pod is recreated.
        cluster.kubectl().runWithInput("""
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s}
                spec:
                  selector: {app: %1$s}
                  ports: [{name: grpc, port: %2$d, targetPort: grpc, appProtocol: kubernetes.io/h2c}]
                """.formatted(APP, APP_PORT), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        // The port is named grpc, not http, so the pod names it for the sidecar; PORT is the port contract, which
        // the server gets as its --port flag ($(PORT): the kubelet expands it from the env the injector rewrote).
        // No health service in the interop server: the probe is a TCP connect, which the injector moves to the app.
        long applied = System.nanoTime();
        cluster.kubectl().runWithInput("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %1$s}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: %1$s}}
                  template:
                    metadata:
                      labels: {app: %1$s}
                      annotations: {sluice.dev/port: grpc}
                    spec:
                      terminationGracePeriodSeconds: 20
                      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
                      containers:
                      - name: server
                        image: %2$s
                        args: ["--port=$(PORT)", "--use_tls=false"]
                        env: [{name: PORT, value: "%3$d"}]
                        ports: [{name: grpc, containerPort: %3$d}]
                        readinessProbe: {tcpSocket: {port: grpc}, periodSeconds: 1}
                        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
                """.formatted(APP, IMAGE, APP_PORT), "apply", "-n", NAMESPACE, "-f", "-").orThrow();
        pod = SampleApp.awaitReadyPods(cluster, NAMESPACE, APP, 1).get(0);
        LOG.info("the injected gRPC server Ready {} ms after its Deployment was applied", (System.nanoTime() - applied) / 1_000_000);

        String clusterIp = cluster.client().services().inNamespace(NAMESPACE).withName(APP).get().getSpec().getClusterIP();
        channel = NettyChannelBuilder.forAddress(clusterIp, APP_PORT).usePlaintext().build();
        awaitFirstCall();
    }

    @AfterAll
    static void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSidecarTakesTheGrpcPortOverAndCallsTheAppOverH2c() throws IOException {
        Container sidecar = SampleApp.sidecar(pod).orElseThrow(() -> new AssertionError("no sidecar in " + NAMESPACE + "/" + pod.getMetadata().getName()));
        assertThat(sidecar.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort).contains(tuple("grpc", APP_PORT));
        Container server = pod.getSpec().getContainers().get(0);
        int moved = server.getPorts().get(0).getContainerPort();
        assertThat(moved).isNotEqualTo(APP_PORT);
        assertThat(server.getEnv()).extracting(EnvVar::getName, EnvVar::getValue).contains(tuple("PORT", Integer.toString(moved)));
        assertThat(server.getReadinessProbe().getTcpSocket().getPort().getIntVal()).as("the probe reaches the app directly").isEqualTo(moved);
        assertThat(upstream(sidecar)).as("the Service's appProtocol: kubernetes.io/h2c, in the sidecar's upstream").isEqualTo("h2c://127.0.0.1:" + moved);
        // The Service decided, by its appProtocol: it comes before the container port's name (grpc says h2c too).
        JsonNode record = JSON.readTree(pod.getMetadata().getAnnotations().get("sluice.dev/injected"));
        assertThat(record.path("appProtocol").asText()).as(record.toString()).isEqualTo("h2c");
        assertThat(record.path("appProtocolFrom").asText()).as(record.toString())
                .isEqualTo("Service " + APP + " port grpc (appProtocol kubernetes.io/h2c)");
    }

    @Test
    void unaryAndStreamingCallsPassWithTheAppsHeadersAndTrailers() {
        Metadata sent = new Metadata();
        sent.put(ECHO_INITIAL, "from the test");
        sent.put(ECHO_TRAILING, new byte[] {0, 1, 2, (byte) 0xff});
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        UnknownFieldSet response = ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)), UNARY_CALL, callOptions(), simpleRequest(100));

        assertThat(payloadSize(response)).as("SimpleResponse.payload.body of the size asked for").isEqualTo(100);
        assertThat(headers.get().get(ECHO_INITIAL)).isEqualTo("from the test");
        assertThat(trailers.get().get(ECHO_TRAILING)).as("the app's trailers after its message").containsExactly(0, 1, 2, 0xff);

        List<Integer> sizes = new ArrayList<>();
        ClientCalls.blockingServerStreamingCall(channel, STREAMING_OUTPUT_CALL, callOptions(), streamingOutputRequest(10, 20, 30))
                .forEachRemaining(message -> sizes.add(payloadSize(message)));
        assertThat(sizes).as("StreamingOutputCall's messages, one per response parameter").containsExactly(10, 20, 30);

        // A status the app answers (in its trailers-only response) reaches the client as the app wrote it.
        StatusRuntimeException fromApp = catchThrowableOfType(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, UNARY_CALL, callOptions(), failingRequest(Status.Code.NOT_FOUND, "no such thing")));
        assertThat(fromApp.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(fromApp.getStatus().getDescription()).isEqualTo("no such thing");
    }

    @Test
    void emptyCallIsLimitedPerMinuteWhileUnaryCallIsNot() throws Exception {
        // The minute's budget: each call within it passes. A slow machine may refill a token between calls, so
        // the calls go on until the first refusal (a few more at most), and at least LIMIT passed before it.
        int passed = 0;
        StatusRuntimeException refused = null;
        while (refused == null && passed < LIMIT + 5) {
            try {
                ClientCalls.blockingUnaryCall(channel, EMPTY_CALL, callOptions(), Empty.getDefaultInstance());
                passed++;
            } catch (StatusRuntimeException e) {
                refused = e;
            }
        }
        LOG.info("{} EmptyCalls passed before the first refusal: {}", passed, refused == null ? "none" : refused.getStatus());
        assertThat(passed).as("EmptyCalls that passed before the first refusal").isGreaterThanOrEqualTo(LIMIT);
        assertThat(refused).as("an EmptyCall beyond " + LIMIT + " per minute").isNotNull();
        assertThat(refused.getStatus().getCode()).as(refused.toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).startsWith("rate limit exceeded: rule empty-call of policy")
                .contains("allows " + LIMIT + " requests per 1m");
        Metadata trailers = refused.getTrailers();
        assertThat(Long.parseLong(trailers.get(PUSHBACK))).as("grpc-retry-pushback-ms").isBetween(1L, 60_000L);
        assertThat(Long.parseLong(trailers.get(RETRY_AFTER))).as("Retry-After").isBetween(1L, 60L);
        assertThat(trailers.get(RATELIMIT_POLICY)).contains("q=" + LIMIT).contains("w=60");

        // The limit is EmptyCall's: UnaryCall on the same connection passes, more times than the limit.
        for (int i = 0; i < LIMIT + 2; i++) {
            assertThat(payloadSize(ClientCalls.blockingUnaryCall(channel, UNARY_CALL, callOptions(), simpleRequest(i)))).isEqualTo(i);
        }

        // What the sidecar counted for the rule: the EmptyCalls only, and the refusal; its policy enforced in the pod.
        String metrics = SampleApp.get("http://" + pod.getStatus().getPodIP() + ":" + SampleApp.ADMIN_PORT + "/metrics").body();
        assertThat(ruleCounter(metrics, "rate_limit_requests_total")).as("EmptyCalls the rule evaluated\n" + metrics).isEqualTo(passed + 1);
        assertThat(ruleCounter(metrics, "rate_limit_rejected_total")).as("EmptyCalls the rule refused\n" + metrics).isEqualTo(1);
        cluster.kubectl().run("wait", "-n", NAMESPACE, "--for=condition=Ready", "--timeout=60s", "rlp/grpc").orThrow();
        JsonNode status = JSON.readTree(cluster.kubectl().run("get", "-n", NAMESPACE, "rlp/grpc", "-o", "json").orThrow().stdout()).path("status");
        assertThat(status.path("podsWithSidecar").asInt()).as(status.toString()).isEqualTo(1);
        assertThat(status.path("enforcing").asText()).as(status.toString()).isEqualTo("1/1");
    }

    /**
     * Waits for a first UnaryCall (not limited) through the ClusterIP to pass: the pod is Ready, but kube-proxy
     * may not route to it yet. A failure reports the last status, which names what stands in the way
     * (UNAVAILABLE "HTTP status code 502" when the sidecar cannot speak to the app, say).
     */
    private static void awaitFirstCall() {
        AtomicReference<Status> last = new AtomicReference<>();
        try {
            // In this thread: at the timeout Awaitility would interrupt another, and the last status would be CANCELLED.
            await("a first UnaryCall through the Service").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).pollInSameThread()
                    .until(() -> unaryCallPasses(last));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no UnaryCall through " + NAMESPACE + "/" + APP + " passed; the last: " + last.get(), e);
        }
    }

    private static boolean unaryCallPasses(AtomicReference<Status> failure) {
        try {
            ClientCalls.blockingUnaryCall(channel, UNARY_CALL, callOptions(), simpleRequest(1));
            return true;
        } catch (StatusRuntimeException e) {
            failure.set(e.getStatus());
            // Not grpc-java's reconnect backoff (up to 2 minutes) between our attempts.
            channel.resetConnectBackoff();
            return false;
        }
    }

    private static CallOptions callOptions() {
        return CallOptions.DEFAULT.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static MethodDescriptor<UnknownFieldSet, UnknownFieldSet> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<UnknownFieldSet, UnknownFieldSet>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(BY_FIELD_NUMBER).setResponseMarshaller(BY_FIELD_NUMBER).build();
    }

    /** {@code SimpleRequest{response_size: size}} (field 2). */
    private static UnknownFieldSet simpleRequest(int size) {
        return UnknownFieldSet.newBuilder().addField(2, UnknownFieldSet.Field.newBuilder().addVarint(size).build()).build();
    }

    /** {@code SimpleRequest{response_status: {code, message}}} (field 7; EchoStatus fields 1 and 2): the server fails the call so. */
    private static UnknownFieldSet failingRequest(Status.Code code, String message) {
        UnknownFieldSet echoStatus = UnknownFieldSet.newBuilder()
                .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(code.value()).build())
                .addField(2, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFrom(message, StandardCharsets.UTF_8)).build())
                .build();
        return UnknownFieldSet.newBuilder().addField(7, UnknownFieldSet.Field.newBuilder().addLengthDelimited(echoStatus.toByteString()).build()).build();
    }

    /** {@code StreamingOutputCallRequest{response_parameters: [{size}, ...]}} (field 2; ResponseParameters.size is field 1). */
    private static UnknownFieldSet streamingOutputRequest(int... sizes) {
        UnknownFieldSet.Field.Builder parameters = UnknownFieldSet.Field.newBuilder();
        for (int size : sizes) {
            parameters.addLengthDelimited(UnknownFieldSet.newBuilder().addField(1, UnknownFieldSet.Field.newBuilder().addVarint(size).build())
                    .build().toByteString());
        }
        return UnknownFieldSet.newBuilder().addField(2, parameters.build()).build();
    }

    /** The body size of a response's {@code payload} (field 1 of SimpleResponse and StreamingOutputCallResponse; Payload.body is field 2). */
    private static int payloadSize(UnknownFieldSet response) {
        try {
            List<ByteString> payload = response.getField(1).getLengthDelimitedList();
            assertThat(payload).as("one payload in " + response).hasSize(1);
            List<ByteString> body = UnknownFieldSet.parseFrom(payload.get(0)).getField(2).getLengthDelimitedList();
            return body.isEmpty() ? 0 : body.get(0).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sidecar's counter for rule empty-call, from its Prometheus text. */
    private static long ruleCounter(String metrics, String name) {
        return metrics.lines().filter(line -> line.startsWith(name + "{") && line.contains("rule=\"empty-call\""))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    /** The sidecar's upstream: its {@code --upstream} argument. */
    private static String upstream(Container sidecar) {
        List<String> args = sidecar.getArgs();
        int at = args.indexOf("--upstream");
        return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : null;
    }

    /** Any message as its fields by number: what protoc's classes would read and write, without them. */
    private static final class FieldsMarshaller implements MethodDescriptor.Marshaller<UnknownFieldSet> {
        @Override
        public InputStream stream(UnknownFieldSet value) {
            return value.toByteString().newInput();
        }

        @Override
        public UnknownFieldSet parse(InputStream stream) {
            try {
                return UnknownFieldSet.parseFrom(stream);
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("cannot parse a message").withCause(e).asRuntimeException();
            }
        }
    }
}
