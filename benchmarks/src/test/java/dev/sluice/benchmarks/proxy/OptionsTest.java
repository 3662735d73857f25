package dev.sluice.benchmarks.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void allIsTheHttpModesAndGrpcTheGrpcOnes() {
        assertThat(Options.parse(new String[0]).modes()).containsExactly(Mode.ALLOWED, Mode.REFUSED, Mode.CLIENTS, Mode.GLOBAL);
        assertThat(Options.parse(new String[] {"--mode", "grpc"}).modes()).containsExactly(Mode.GRPC_ALLOWED, Mode.GRPC_REFUSED);
        assertThat(Options.parse(new String[] {"--mode=allowed,grpc-refused"}).modes()).containsExactly(Mode.ALLOWED, Mode.GRPC_REFUSED);
    }

    @Test
    void aGrpcRunDrawsItsOwnPlotUnlessTold() {
        assertThat(Options.parse(new String[] {"--mode", "grpc"}).svg()).isEqualTo(Path.of("docs/images/grpc-comparison.svg").toAbsolutePath());
        assertThat(Options.parse(new String[] {"--mode", "allowed,grpc"}).svg()).isEqualTo(Path.of("docs/images/proxy-comparison.svg").toAbsolutePath());
        assertThat(Options.parse(new String[] {"--mode", "grpc", "--svg", "none"}).svg()).isNull();
    }

    @Test
    void anUnknownModeIsNamed() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--mode", "grpc-clients"}))
                .hasMessageContaining("--mode 'grpc-clients' is not one of").hasMessageContaining("grpc-refused");
    }

    @Test
    void theGrpcModesEnforceTheLimitsOfTheirHttpPeers() {
        assertThat(Mode.GRPC_REFUSED.nginxLocation()).isEqualTo(Mode.REFUSED.nginxLocation());
        assertThat(Mode.GRPC_REFUSED.sidecarDocument(null)).isEqualTo(Mode.REFUSED.sidecarDocument(null));
        assertThat(Mode.GRPC_ALLOWED.nginxHttp()).isEqualTo(Mode.ALLOWED.nginxHttp());
    }
}
