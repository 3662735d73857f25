package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RejectionLogTest {

    @Test
    void keysAreLoggedAsTheirDimensionsWithoutTheTierIndex() {
        assertThat(RejectionLog.printable("\u0002\u001f203.0.113.7\u001fGET /api/orders")).isEqualTo("203.0.113.7|GET /api/orders");
        assertThat(RejectionLog.printable("\u0000\u001fA")).isEqualTo("A");
        assertThat(RejectionLog.printable("\u0000")).as("a rule without a key").isEmpty();
    }
}
