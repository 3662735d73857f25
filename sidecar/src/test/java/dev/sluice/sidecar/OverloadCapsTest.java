package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OverloadCapsTest {
    @Test
    void halfOfWhatAQuarterLeavesMayBeClientConnectionsEachWithItsConnectionToTheAppUpToTheCeiling() {
        assertThat(OverloadCaps.forDescriptorLimit(1_048_576)).isEqualTo(new OverloadCaps(4096, 2048));
        assertThat(OverloadCaps.forDescriptorLimit(20_000)).isEqualTo(new OverloadCaps(4096, 2048));
        assertThat(OverloadCaps.forDescriptorLimit(8192)).isEqualTo(new OverloadCaps(3072, 1536));
        assertThat(OverloadCaps.forDescriptorLimit(1024)).as("at least 256 kept").isEqualTo(new OverloadCaps(384, 192));
        assertThat(OverloadCaps.forDescriptorLimit(300)).isEqualTo(new OverloadCaps(22, 11));
        assertThat(OverloadCaps.forDescriptorLimit(100)).as("a limit too low to keep anything still serves").isEqualTo(new OverloadCaps(1, 1));
    }

    @Test
    void theDefaultsReadThisProcesssLimit() {
        assertThat(OverloadCaps.defaults()).isEqualTo(OverloadCaps.forDescriptorLimit(OverloadCaps.descriptorLimit()));
        assertThat(OverloadCaps.descriptorLimit()).isPositive();
    }

    @Test
    void aCapOutOfRangeNamesItsFlag() {
        assertThatThrownBy(() -> new OverloadCaps(0, 1)).hasMessage("--max-connections must be at least 1, got 0");
        assertThatThrownBy(() -> new OverloadCaps(1, -1)).hasMessage("--max-parked must be 0 or more, got -1");
    }
}
