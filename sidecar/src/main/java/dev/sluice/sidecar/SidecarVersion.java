package dev.sluice.sidecar;

/**
 * This build's version, as its jar's manifest says ({@code Implementation-Version}, written by the build: the shaded jar
 * and the jar in the image both carry it); {@code dev} when the classes do not come from such a jar (the tests, an IDE).
 * Reported on the admin port ({@code /report}), where the operator lists pods running an older sidecar.
 */
public final class SidecarVersion {
    /** What is reported when no manifest names the version. */
    public static final String UNKNOWN = "dev";

    private SidecarVersion() {
    }

    public static String current() {
        String version = SidecarVersion.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? UNKNOWN : version;
    }
}
