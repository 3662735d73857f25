package dev.sluice.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.BreakerTargetType;
import dev.sluice.api.config.GrpcStatus;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class CircuitBreakerSpecTest {
    /**
     * The resource is made of the document's records, which have fields the CRD does not; written to an
     * API server (a server-side-apply status patch carries the spec) they would be refused as "field not
     * declared in schema".
     */
    @Test
    void aBreakerSerialisesOnlyWhatItsSchemaDeclares() throws Exception {
        CircuitBreakerSpec spec = new CircuitBreakerSpec(BreakerTarget.outbound(new RouteConfig("pay", "https://pay.example.com", 15001, null)),
                RetryConfig.defaults(), BreakerConfig.builder().timeout("2s").build());

        String json = new ObjectMapper().writeValueAsString(spec);

        assertThat(json).contains("\"maxAttempts\"", "\"localPort\"").doesNotContain("minRetriesPerSecond", "maxBodyBytes", "\"rules\"",
                "grpcRetryOn");
        assertThat(new ObjectMapper().readValue(json, CircuitBreakerSpec.class).toBreakerConfig("shop", "pay").retry())
                .isEqualTo(RetryConfig.defaults());
    }

    /** The breaker's fields sit directly under spec, read and written by plain Jackson and by the Kubernetes client alike. */
    @Test
    void theBreakerIsUnwrappedUnderSpecForJacksonAndTheKubernetesClient() throws Exception {
        String json = "{\"target\":{\"type\":\"Outbound\",\"route\":{\"name\":\"pay\",\"upstream\":\"https://pay.example.com\",\"localPort\":15001}},"
                + "\"failureRateThreshold\":40,\"timeout\":\"2s\",\"retry\":{\"maxAttempts\":4,\"grpcRetryOn\":[\"UNAVAILABLE\"]}}";
        KubernetesSerialization client = new KubernetesSerialization();

        for (CircuitBreakerSpec spec : new CircuitBreakerSpec[] {new ObjectMapper().readValue(json, CircuitBreakerSpec.class),
                client.unmarshal(json, CircuitBreakerSpec.class)}) {
            BreakerConfig config = spec.toBreakerConfig("shop", "pay");
            assertThat(config.qualifiedName()).isEqualTo("shop/pay");
            assertThat(config.target()).isEqualTo(BreakerTargetType.Outbound);
            assertThat(config.route().name()).isEqualTo("pay");
            assertThat(config.failureRateThreshold()).isEqualTo(40);
            assertThat(config.minimumNumberOfCalls()).isEqualTo(BreakerConfig.DEFAULT_MINIMUM_NUMBER_OF_CALLS);
            assertThat(config.timeout()).isEqualTo("2s");
            assertThat(config.retry().maxAttempts()).isEqualTo(4);
            assertThat(config.retry().grpcRetryOn()).containsExactly(GrpcStatus.UNAVAILABLE);
            assertThat(client.asJson(spec)).startsWith("{\"target\":").contains(",\"failureRateThreshold\":40,").doesNotContain("breaker");
            assertThat(client.unmarshal(client.asJson(spec), CircuitBreakerSpec.class)).isEqualTo(spec);
        }
    }
}
