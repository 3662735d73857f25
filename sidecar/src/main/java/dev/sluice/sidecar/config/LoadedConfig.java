package dev.sluice.sidecar.config;

import dev.sluice.api.config.SidecarConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A configuration in force: the document, its digest, the pod labels it was applied with, and when.
 *
 * @param sha256 the digest of the file's content; null when the file is absent ({@link #absent}), which a
 *     sidecar started with {@code --config-optional} reads as an empty document: nothing is enforced
 */
public record LoadedConfig(SidecarConfig config, String sha256, Map<String, String> podLabels, Instant loadedAt) {
    /** No configuration file, under {@code --config-optional}: no policy, every request passes through to the app. */
    public static LoadedConfig absent(Instant at) {
        return new LoadedConfig(SidecarConfig.of(List.of()), null, null, at);
    }

    /** Whether this came from a file; false when the file is absent and nothing is enforced. */
    public boolean present() {
        return sha256 != null;
    }

    /** The operator's generation of the document, or 0 for a file without one (or none). */
    public long generation() {
        return config.generation() == null ? 0 : config.generation();
    }
}
