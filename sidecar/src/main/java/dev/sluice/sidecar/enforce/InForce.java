package dev.sluice.sidecar.enforce;

import dev.sluice.sidecar.config.Enforcer;
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.http.Guard;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is in force: one {@link Enforcement} behind one volatile, swapped with one write. Requests in
 * flight finish on the Enforcement they read when they arrived; a reload compiles the next one aside
 * and, only if that succeeds, swaps it in and retires what it replaced.
 */
public final class InForce implements Enforcer, Supplier<Enforcement>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InForce.class);

    private final EnforcementCompiler compiler;
    private volatile Enforcement current;

    public InForce(EnforcementCompiler compiler) {
        this.compiler = compiler;
        this.current = compiler.nothing();
    }

    @Override
    public synchronized void enforce(LoadedConfig loaded) {
        Enforcement previous = current;
        Enforcement next = compiler.compile(loaded, previous);
        current = next;
        compiler.retire(previous, next);
        if (loaded.present()) {
            LOG.info("configuration generation {} (sha256 {}) in force: {} rule(s) of policies {}", next.generation(),
                    loaded.sha256().substring(0, 12), next.limiter().rules().size(), next.limiter().appliedPolicies());
        }
        next.warnings().forEach(warning -> LOG.warn("{}", warning));
        next.limiter().warnings().forEach(warning -> LOG.warn("{}", warning));
    }

    /** The Enforcement in force: what a request reads, once. */
    @Override
    public Enforcement get() {
        return current;
    }

    @Override
    public LoadedConfig loaded() {
        return current.loaded();
    }

    /** Closes the connections of every guard in force and to the app. */
    @Override
    public synchronized void close() {
        current.guards().values().forEach(Guard::close);
        compiler.close();
    }
}
