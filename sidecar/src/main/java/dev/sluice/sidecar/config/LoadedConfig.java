package dev.sluice.sidecar.config;

import dev.sluice.api.config.SidecarConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A configuration in force: the document, its digest, the pod labels it was applied with, when, where it came from,
 * and what of it this build did not know.
 *
 * @param sha256 the digest of the document; null when it is absent ({@link #absent}): the file under
 *     {@code --config-optional}, or the watched ConfigMap (or its key), which reads as an empty document: nothing is enforced
 * @param ignoredFields the paths of the fields skipped because the document is of a newer format than this build reads
 *     ({@link dev.sluice.api.config.ConfigLoader}); empty for a document read strictly
 */
public record LoadedConfig(SidecarConfig config, String sha256, Map<String, String> podLabels, Instant loadedAt, ConfigSource source,
                           List<String> ignoredFields) {
    public LoadedConfig {
        ignoredFields = ignoredFields == null ? List.of() : List.copyOf(ignoredFields);
    }

    /** No document: no policy, every request passes through to the app. */
    public static LoadedConfig absent(Instant at, ConfigSource source) {
        return new LoadedConfig(SidecarConfig.of(List.of()), null, null, at, source, List.of());
    }

    /** Whether there is a document; false when it is absent and nothing is enforced. */
    public boolean present() {
        return sha256 != null;
    }

    /** The operator's generation of the document, or 0 for a file without one (or none). */
    public long generation() {
        return config.generation() == null ? 0 : config.generation();
    }
}
