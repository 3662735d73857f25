package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.client.ClientResponse;
import io.undertow.util.HeaderMap;
import io.undertow.util.Protocols;
import org.junit.jupiter.api.Test;

class GrpcTest {
    @Test
    void percentEncodesTheMessageAsGrpcAsks() {
        assertThat(Grpc.percentEncode("retry in 3s")).isEqualTo("retry in 3s");
        assertThat(Grpc.percentEncode("100% sure")).isEqualTo("100%25 sure");
        assertThat(Grpc.percentEncode("line\nbreak")).isEqualTo("line%0Abreak");
        assertThat(Grpc.percentEncode("café")).isEqualTo("caf%C3%A9");
    }

    @Test
    void aTrailersOnlyAnswerCountsAsTheHttpStatusItsCodeMapsTo() {
        assertThat(Grpc.upstreamStatus(response(200, "14"))).isEqualTo(503);
        assertThat(Grpc.upstreamStatus(response(200, "4"))).isEqualTo(504);
        assertThat(Grpc.upstreamStatus(response(200, "13"))).isEqualTo(500);
        assertThat(Grpc.upstreamStatus(response(200, "2"))).isEqualTo(500);
        assertThat(Grpc.upstreamStatus(response(200, "8"))).isEqualTo(429);
        assertThat(Grpc.upstreamStatus(response(200, "5"))).isEqualTo(404);
        assertThat(Grpc.upstreamStatus(response(200, "0"))).isEqualTo(200);
    }

    @Test
    void anyOtherAnswerCountsAsItsHttpStatus() {
        assertThat(Grpc.upstreamStatus(response(200, null))).as("messages follow; the status comes in trailers").isEqualTo(200);
        assertThat(Grpc.upstreamStatus(response(503, null))).isEqualTo(503);
        assertThat(Grpc.upstreamStatus(response(502, "14"))).as("not a gRPC answer: HTTP says it").isEqualTo(502);
    }

    @Test
    void theStatusARetryPolicyJudgesIsTheOneTheClientWouldRead() {
        assertThat(Grpc.callStatus(response(200, "14"))).isEqualTo(14);
        assertThat(Grpc.callStatus(response(200, " 8 "))).isEqualTo(8);
        assertThat(Grpc.callStatus(response(200, "0"))).isZero();
        assertThat(Grpc.callStatus(response(200, "soon"))).as("unreadable, as grpc-java reads it").isEqualTo(2);
        assertThat(Grpc.callStatus(response(200, null))).as("messages follow; the status is not known yet").isEqualTo(-1);
    }

    @Test
    void anHttpErrorForACallIsTheStatusGrpcClientsMakeOfIt() {
        assertThat(Grpc.callStatus(response(503, null))).isEqualTo(14);
        assertThat(Grpc.callStatus(response(502, "13"))).as("not a gRPC answer: HTTP says it").isEqualTo(14);
        assertThat(Grpc.callStatus(response(429, null))).isEqualTo(14);
        assertThat(Grpc.callStatus(response(504, null))).isEqualTo(14);
        assertThat(Grpc.callStatus(response(400, null))).isEqualTo(13);
        assertThat(Grpc.callStatus(response(401, null))).isEqualTo(16);
        assertThat(Grpc.callStatus(response(403, null))).isEqualTo(7);
        assertThat(Grpc.callStatus(response(404, null))).isEqualTo(12);
        assertThat(Grpc.callStatus(response(500, null))).isEqualTo(2);
    }

    private static ClientResponse response(int status, String grpcStatus) {
        HeaderMap headers = new HeaderMap();
        if (grpcStatus != null) {
            headers.put(Grpc.GRPC_STATUS, grpcStatus);
        }
        return new ClientResponse(status, "", Protocols.HTTP_2_0, headers);
    }
}
