package dev.sluice.benchmarks.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison reads sluice-grpc-bench's line of figures (benchmarks/grpc/main.go, report) as printed there. */
class GrpcLoadTest {

    @Test
    void readsTheFiguresStatusesAndQuotedMessagesOfARun() throws IOException {
        // As the client printed it against nginx in grpc-refused (its message quotes nginx's HTML 429 page).
        String line = "calls=8544 ok=300 errors=2 seconds=2.001942 sent_per_second=2136.0 answered=8542 p50=41330000 p99=273770000 "
                + "p999=328340000 max=400000000 codes=OK:300,DeadlineExceeded:2,Unavailable:8242 "
                + "message.DeadlineExceeded=\"context deadline exceeded\" "
                + "message.Unavailable=\"unexpected HTTP status code received from server: 429 (Too Many Requests); "
                + "transport: received unexpected content-type \\\"text/html\\\"\\ndata: \\\"<html>\\\\r\\\\n\\\"\"";

        GrpcLoad.Result result = GrpcLoad.parse(line);

        assertThat(result.calls()).isEqualTo(8544);
        assertThat(result.ok()).isEqualTo(300);
        assertThat(result.errors()).isEqualTo(2);
        assertThat(result.p99()).isEqualTo(273_770_000L);
        assertThat(result.codes()).containsExactly(Map.entry("OK", 300L), Map.entry("DEADLINE_EXCEEDED", 2L), Map.entry("UNAVAILABLE", 8242L));
        assertThat(result.messages().get("UNAVAILABLE"))
                .isEqualTo("unexpected HTTP status code received from server: 429 (Too Many Requests); "
                        + "transport: received unexpected content-type \"text/html\"\ndata: \"<html>\\r\\n\"");
        assertThat(result.statuses()).isEqualTo("UNAVAILABLE 96.5 %, OK 3.5 %, DEADLINE_EXCEEDED 0.0 %");
        // Refusals are answers (the "non-2xx" of the HTTP modes), calls without an answer the errors.
        assertThat(result.throughput().non2xx()).isEqualTo(8242);
        assertThat(result.throughput().perSecond()).isEqualTo(8544 / 2.001942);
        assertThat(result.latency().achieved()).isEqualTo(2136.0);
        assertThat(result.latency().errors()).isEqualTo(2);
    }

    @Test
    void namesStatusesAsTheProtocolSpellsThem() {
        assertThat(GrpcLoad.canonical("ResourceExhausted")).isEqualTo("RESOURCE_EXHAUSTED");
        assertThat(GrpcLoad.canonical("Unavailable")).isEqualTo("UNAVAILABLE");
        assertThat(GrpcLoad.canonical("OK")).isEqualTo("OK");
    }

    @Test
    void aRunWithoutCallsOrWithAnUnreadableLineIsAnError() {
        assertThatThrownBy(() -> GrpcLoad.parse("calls=0")).isInstanceOf(IOException.class).hasMessageContaining("made no call");
        assertThatThrownBy(() -> GrpcLoad.parse("calls=3 ok=x")).isInstanceOf(IOException.class).hasMessageContaining("calls=3 ok=x");
    }
}
