package dev.sluice.sidecar.drain;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the sidecar drains: taken out of its Service before it stops. While it drains, readiness fails
 * (so the endpoint goes), requests are still served, and every response closes its connection, or is followed
 * by a GOAWAY over HTTP/2 (so a keep-alive client, which would otherwise keep sending here after the endpoint went, reconnects to another
 * pod). It is one way: started by {@code /drain} (the app's preStop hook) or by stopping, it lasts until the
 * sidecar stops. The gauge {@code sluice_draining} is 1 from then on.
 */
public final class Drain {
    private static final Logger LOG = LoggerFactory.getLogger(Drain.class);

    private final Clock clock;
    private final AtomicReference<Instant> since = new AtomicReference<>();

    public Drain(Clock clock, MeterRegistry registry) {
        this.clock = clock;
        Gauge.builder("sluice_draining", this, drain -> drain.draining() ? 1 : 0)
                .description("1 once the sidecar drains: readiness fails and every response closes its connection").register(registry);
    }

    /**
     * Starts draining, saying {@code why} in the log.
     *
     * @return true if this call started it, false if the sidecar drained already
     */
    public boolean start(String why) {
        if (!since.compareAndSet(null, clock.instant())) {
            return false;
        }
        LOG.info("draining ({}): readiness fails and every response closes its connection; requests are still served", why);
        return true;
    }

    public boolean draining() {
        return since.get() != null;
    }

    /** When draining started, or null while it has not. */
    public Instant since() {
        return since.get();
    }
}
