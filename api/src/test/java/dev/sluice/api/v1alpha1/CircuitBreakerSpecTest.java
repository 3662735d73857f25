package dev.sluice.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.config.RetryConfig;
import dev.sluice.api.config.RouteConfig;
import org.junit.jupiter.api.Test;

class CircuitBreakerSpecTest {
    /**
     * The resource is made of the document's records, which have fields the CRD does not; written to an
     * API server (a server-side-apply status patch carries the spec) they would be refused as "field not
     * declared in schema".
     */
    @Test
    void aBreakerSerialisesOnlyWhatItsSchemaDeclares() throws Exception {
        CircuitBreakerSpec spec = new CircuitBreakerSpec(null, BreakerTarget.outbound(new RouteConfig("pay", "https://pay.example.com", 15001, null)),
                null, null, null, null, null, null, null, null, null, "2s", RetryConfig.defaults());

        String json = new ObjectMapper().writeValueAsString(spec);

        assertThat(json).contains("\"maxAttempts\"", "\"localPort\"").doesNotContain("minRetriesPerSecond", "maxBodyBytes", "\"rules\"");
        assertThat(new ObjectMapper().readValue(json, CircuitBreakerSpec.class).toBreakerConfig("shop", "pay").retry())
                .isEqualTo(RetryConfig.defaults());
    }
}
