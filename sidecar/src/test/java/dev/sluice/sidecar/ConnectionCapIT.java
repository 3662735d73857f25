package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sidecar.drain.KeepAliveConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cap on client connections ({@code --max-connections}), with real sockets: connections past it are not
 * accepted (they wait in the kernel's backlog, holding none of the sidecar's descriptors) and are served as soon as
 * one of those open closes.
 */
class ConnectionCapIT {
    private static final int CAP = 4;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void aConnectionPastTheCapIsServedOnlyOnceAnOpenOneCloses() throws Exception {
        SidecarFixture fixture = closer.keep(SidecarFixture.withClock(directory, "policies: []\n", Instant.parse("2026-01-01T00:00:00Z"),
                settings -> settings.withCaps(settings.caps().withMaxConnections(CAP))));
        assertThat(fixture.metric("sluice_connections_max")).isEqualTo(CAP);
        List<KeepAliveConnection> open = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            KeepAliveConnection connection = closer.keep(new KeepAliveConnection(fixture.sidecar.port()));
            assertThat(connection.get("/").status()).as("connection %d of %d", i + 1, CAP).isEqualTo(200);
            open.add(connection);
        }
        assertThat(fixture.metric("sluice_connections_open")).isEqualTo(CAP);

        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            KeepAliveConnection past = closer.keep(new KeepAliveConnection(fixture.sidecar.port()));
            past.send("/");
            CompletableFuture<KeepAliveConnection.Response> answer = CompletableFuture.supplyAsync(() -> read(past), reader);
            // A round trip on each open connection: the sidecar goes on serving them while the one past the cap waits.
            for (KeepAliveConnection connection : open) {
                assertThat(connection.get("/").status()).isEqualTo(200);
            }
            assertThat(answer).as("the connection past the cap, while %d are open", CAP).isNotDone();
            assertThat(fixture.metric("sluice_connections_open")).isEqualTo(CAP);

            open.remove(0).close();
            assertThat(answer.get(30, TimeUnit.SECONDS).status()).as("once one of the open connections closed").isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> fixture.metric("sluice_connections_open") == CAP);
        } finally {
            reader.shutdownNow();
        }
        HttpResponse<String> admin = fixture.admin("/healthz");
        assertThat(admin.statusCode()).as("the admin port is not under the traffic port's cap").isEqualTo(200);
    }

    private static KeepAliveConnection.Response read(KeepAliveConnection connection) {
        try {
            return connection.read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
