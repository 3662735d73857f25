package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sidecar.Closer;
import dev.sluice.sidecar.SidecarFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice_proxy_overhead_seconds}: the sidecar's own share of a request's time, on both ways to the app. */
class ProxyOverheadIT {
    private static final int REQUESTS = 5;
    private static final double APP_SECONDS = 0.05;
    private static final String LIMITED = """
            policies:
              - name: api
                rules: [{name: all, limits: [{requests: 1000, period: 1s}]}]
            """;
    private static final String GUARDED = LIMITED + """
            breakers:
              - name: app
                target: Inbound
                failureRateThreshold: 50
                minimumNumberOfCalls: 10
                slidingWindow: {type: Count, size: 10}
                waitDurationInOpenState: 30s
            """;

    @TempDir
    Path directory;
    @RegisterExtension
    final Closer closer = new Closer();
    private SidecarFixture fixture;

    @Test
    void thePlainProxyRecordsItsOverheadApartFromTheAppsTime() throws Exception {
        fixture = closer.keep(SidecarFixture.withSystemClock(directory, LIMITED));

        assertOverheadRecordedBelowTheAppsTime();
    }

    @Test
    void theGuardedPathRecordsItsOverheadApartFromTheAppsTime() throws Exception {
        fixture = closer.keep(SidecarFixture.withSystemClock(directory, GUARDED));

        assertOverheadRecordedBelowTheAppsTime();
        assertThat(fixture.adminJson("/state").path("breakers").get(0).path("bufferedCalls").asInt()).isEqualTo(REQUESTS);
    }

    /** Every request takes the app at least 50 ms: the total duration includes it, the overhead must not. */
    private void assertOverheadRecordedBelowTheAppsTime() {
        assertThat(fixture.statuses(REQUESTS, "/slow?ms=" + (long) (APP_SECONDS * 1000))).isEqualTo("200 200 200 200 200");

        double total = fixture.metric("sluice_proxy_request_duration_seconds_sum{status=\"2xx\"}");
        double overhead = fixture.metric("sluice_proxy_overhead_seconds_sum");
        assertThat(fixture.metric("sluice_proxy_overhead_seconds_count")).isEqualTo(REQUESTS);
        assertThat(overhead).isPositive().isLessThanOrEqualTo(total - REQUESTS * APP_SECONDS);
    }
}
