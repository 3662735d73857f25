package dev.sluice.benchmarks.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SidecarProcessTest {
    @Test
    void theSidecarRunsWithItsImagesFlagsNotTheParentPomsOperatorFlags() throws Exception {
        // The tests run in benchmarks/: the checkout's root is its parent. sidecar/pom.xml overrides the parent's list
        // (<jvmFlags combine.self="override">), which a plain <jvmFlags> search missed for the operator's.
        assertThat(SidecarProcess.shippedJavaOptions(Path.of("..")))
                .contains("-XX:MaxRAMPercentage=40", "-XX:MaxDirectMemorySize=16m", "-XX:+UseSerialGC")
                .doesNotContain("-XX:MaxRAMPercentage=75");
    }
}
