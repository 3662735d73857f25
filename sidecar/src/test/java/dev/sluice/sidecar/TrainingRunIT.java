package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunIT {
    @TempDir
    Path directory;

    @Test
    void aTrainingRunAsksTheAdminAndTrafficPortsOnceEach() throws Exception {
        try (SidecarFixture fixture = SidecarFixture.withSystemClock(directory, "policies: []\n")) {
            assertThat(TrainingRun.exercise(fixture.sidecar)).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 200 OK");
            assertThat(fixture.upstream.requests.get()).isEqualTo(1);
        }
    }

    @Test
    void mainStopsAfterTheTrainingRunsRequestsAndExitsZero() throws Exception {
        Path config = Files.writeString(directory.resolve("sidecar.yaml"), "policies: []\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setProperty(TrainingRun.PROPERTY, "true");
        int exit;
        try {
            // nothing listens on the upstream: the forwarding path answers 502, which is all a training run needs
            exit = Main.run(new String[] {"--config", config.toString(), "--upstream", "http://127.0.0.1:9", "--port", "0", "--admin-port", "0",
                "--bind", "127.0.0.1"}, Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.clearProperty(TrainingRun.PROPERTY);
        }

        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
    }
}
