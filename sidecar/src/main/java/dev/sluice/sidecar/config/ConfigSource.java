package dev.sluice.sidecar.config;

import java.util.Objects;

/**
 * Where a configuration in force came from: the {@code --config} file, or the ConfigMap the sidecar watches on the
 * API server ({@code --config-watch}).
 *
 * @param name the file's path, or the ConfigMap as {@code namespace/name}
 * @param uid the ConfigMap's uid; null for the file, or while the ConfigMap is absent
 * @param resourceVersion the ConfigMap's resourceVersion the document was read at; null for the file
 */
public record ConfigSource(Kind kind, String name, String uid, String resourceVersion) {
    public enum Kind {
        file, watch
    }

    public static ConfigSource file(Object path) {
        return new ConfigSource(Kind.file, String.valueOf(path), null, null);
    }

    public static ConfigSource watch(String configMap, String uid, String resourceVersion) {
        return new ConfigSource(Kind.watch, configMap, uid, resourceVersion);
    }

    public boolean fromWatch() {
        return kind == Kind.watch;
    }

    /** Whether {@code other} is the same file, or the same ConfigMap object (its uid): a change of resourceVersion only is not. */
    public boolean sameOrigin(ConfigSource other) {
        return other != null && kind == other.kind && name.equals(other.name) && Objects.equals(uid, other.uid);
    }

    @Override
    public String toString() {
        return kind == Kind.file ? name : "ConfigMap " + name + (uid == null ? " (absent)" : " (uid " + uid + ", resourceVersion " + resourceVersion + ")");
    }
}
