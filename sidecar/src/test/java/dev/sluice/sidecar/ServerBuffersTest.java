package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerBuffersTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void directMemoryForAThousandFullBuffersGetsUndertowsLargeSize() {
        assertThat(ServerBuffers.forDirectMemory(16 * MIB).size()).isEqualTo(16 * 1024 - 20);
        assertThat(ServerBuffers.forDirectMemory(1024 * MIB).size()).isEqualTo(16 * 1024 - 20);
    }

    @Test
    void lessDirectMemoryGetsThePowerOfTwoThatFitsAThousandTimes() {
        assertThat(ServerBuffers.forDirectMemory(16 * MIB - 1).size()).isEqualTo(8 * 1024);
        assertThat(ServerBuffers.forDirectMemory(8 * MIB).size()).isEqualTo(8 * 1024);
        assertThat(ServerBuffers.forDirectMemory(3 * MIB).size()).isEqualTo(2 * 1024);
    }

    @Test
    void neverUnderOneKibibyte() {
        assertThat(ServerBuffers.forDirectMemory(MIB / 2).size()).isEqualTo(1024);
        assertThat(ServerBuffers.forDirectMemory(1).size()).isEqualTo(1024);
    }

    @Test
    void noDirectMemoryIsAnError() {
        assertThatThrownBy(() -> ServerBuffers.forDirectMemory(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxDirectMemory").hasMessageContaining("0");
    }

    @Test
    void thisJvmsLimitIsReadFromItsOptionOrHeap() {
        assertThat(ServerBuffers.maxDirectMemory()).isPositive();
    }
}
