package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.SidecarFixture;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections to the app are kept alive and reused: requests one after another, on one client
 * connection, reach the app over one connection (or a few), whether or not a breaker guards the app. A
 * forwarder that opened a connection per request would pay a handshake each time and, under load, run
 * out of file descriptors.
 */
class ConnectionReuseIT {
    private static final int REQUESTS = 20;
    /** Requests in a row on one client connection stay on one I/O thread; a spare for a connection the app closed. */
    private static final int AT_MOST = 2;
    private static final String GUARDED = """
            breakers:
              - name: app
                target: Inbound
                minimumNumberOfCalls: 1000
                slidingWindow: {type: Count, size: 1000}
                timeout: 5s
            """;

    @TempDir
    Path directory;
    private SidecarFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void unguardedRequestsReuseTheirConnectionToTheApp() throws Exception {
        fixture = SidecarFixture.withSystemClock(directory, "policies: []\n");

        assertReused();
    }

    @Test
    void guardedRequestsReuseTheirConnectionToTheApp() throws Exception {
        fixture = SidecarFixture.withSystemClock(directory, GUARDED);

        assertReused();
    }

    private void assertReused() {
        for (int i = 0; i < REQUESTS; i++) {
            assertThat(fixture.get("/echo/" + i).statusCode()).isEqualTo(200);
            HttpRequest post = HttpRequest.newBuilder(fixture.traffic("/upload")).POST(HttpRequest.BodyPublishers.ofString("body " + i)).build();
            assertThat(fixture.send(post).statusCode()).isEqualTo(200);
        }

        assertThat(fixture.upstream.requests.get()).isEqualTo(2 * REQUESTS);
        assertThat(fixture.upstream.connections()).as("connections the app accepted for %d requests in a row", 2 * REQUESTS)
                .isLessThanOrEqualTo(AT_MOST);
    }
}
