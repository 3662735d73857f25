package dev.sluice.sidecar.config;

/** Where a configuration that loaded and validated goes to be put in force. */
public interface Enforcer {
    /** Puts {@code loaded} in force whole, or throws and leaves what is in force as it was. */
    void enforce(LoadedConfig loaded);

    /** The configuration in force, or null before the first. */
    LoadedConfig loaded();
}
