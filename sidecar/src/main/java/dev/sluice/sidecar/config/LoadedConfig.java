package dev.sluice.sidecar.config;

import dev.sluice.api.config.SidecarConfig;
import java.time.Instant;
import java.util.Map;

/** A configuration in force: the document, its digest, the pod labels it was applied with, and when. */
public record LoadedConfig(SidecarConfig config, String sha256, Map<String, String> podLabels, Instant loadedAt) {
    /** The operator's generation of the document, or 0 for a file without one. */
    public long generation() {
        return config.generation() == null ? 0 : config.generation();
    }
}
