package dev.sluice.sidecar;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test started (servers, sidecars, Redis), last started first, after each test, passed
 * or failed. Register it with {@code @RegisterExtension} and wrap each resource in {@link #keep}.
 */
public final class Closer implements AfterEachCallback {
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Closes {@code resource} after the test; returns it. */
    public <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            for (int i = resources.size() - 1; i >= 0; i--) {
                resources.get(i).close();
            }
        } finally {
            resources.clear();
        }
    }
}
