package dev.sluice.sidecar.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.sidecar.limit.ManualClock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryRulesTest {
    private static RetryRules rules(List<GrpcStatus> grpcRetryOn) {
        RetryConfig config = new RetryConfig(null, null, null, null, null, null, grpcRetryOn, null, null, null);
        return new RetryRules(config, new ManualClock(Instant.EPOCH));
    }

    @Test
    void grpcCallsAreRetriedOnlyOnTheNamedStatuses() {
        RetryRules rules = rules(List.of(GrpcStatus.UNAVAILABLE, GrpcStatus.UNAUTHENTICATED));

        assertThat(rules.retriesGrpc()).isTrue();
        assertThat(rules.retriesGrpcStatus(14)).isTrue();
        assertThat(rules.retriesGrpcStatus(16)).isTrue();
        assertThat(rules.retriesGrpcStatus(4)).isFalse();
        assertThat(rules.retriesGrpcStatus(0)).isFalse();
        assertThat(rules.retriesGrpcStatus(-1)).as("no status yet").isFalse();
        assertThat(rules.retriesGrpcStatus(99)).as("a code gRPC does not define").isFalse();
    }

    @Test
    void byDefaultNoGrpcCallIsRetriedWhateverTheHttpStatuses() {
        RetryRules rules = new RetryRules(RetryConfig.defaults(), new ManualClock(Instant.EPOCH));

        assertThat(rules.retriesGrpc()).isFalse();
        for (GrpcStatus status : GrpcStatus.values()) {
            assertThat(rules.retriesGrpcStatus(status.code())).as(status.name()).isFalse();
        }
        assertThat(rules.retriesStatus(503)).isTrue();
    }
}
