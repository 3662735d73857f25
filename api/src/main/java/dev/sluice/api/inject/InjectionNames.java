package dev.sluice.api.inject;

/**
 * The names through which pods, namespaces, the operator's injection webhook and the injected sidecar
 * agree on sidecar injection (docs/injection.md): labels and annotations users set, annotations the
 * injector writes, and the names of what it adds to a pod.
 */
public final class InjectionNames {
    private InjectionNames() {
    }

    /** On a namespace: {@link #NAMESPACE_ENABLED} or {@link #NAMESPACE_REQUIRED}; on a pod: {@link #POD_OPT_IN} or {@link #POD_OPT_OUT}. */
    public static final String LABEL = "sluice.dev/inject";
    /** Pods of the namespace get the sidecar unless labelled {@link #POD_OPT_OUT}. */
    public static final String NAMESPACE_ENABLED = "enabled";
    /** Pods of the namespace get the sidecar, whatever their own label says. */
    public static final String NAMESPACE_REQUIRED = "required";
    /** A pod that asks for the sidecar, also in a namespace without the label. */
    public static final String POD_OPT_IN = "true";
    /** A pod that declines the sidecar; honoured only where the namespace says {@link #NAMESPACE_ENABLED}. */
    public static final String POD_OPT_OUT = "false";

    /** Pod annotation: the name or number of the container port the sidecar takes over. */
    public static final String PORT = "sluice.dev/port";
    /** Pod annotation: the env var through which the app learns its new port (the port contract). */
    public static final String PORT_ENV = "sluice.dev/port-env";
    /** The env var that counts as the port contract without {@link #PORT_ENV}, when its value is the taken port's number. */
    public static final String DEFAULT_PORT_ENV = "PORT";
    /** Pod annotation: an env var the injector sets to {@link #LOOPBACK} so that the app listens on loopback only. */
    public static final String BIND_ENV = "sluice.dev/bind-env";
    public static final String LOOPBACK = "127.0.0.1";
    /** Pod annotations that change the sidecar, honoured only when the operator allows them. */
    public static final String SIDECAR_IMAGE = "sluice.dev/sidecar-image";
    public static final String SIDECAR_CPU = "sluice.dev/sidecar-cpu";
    public static final String SIDECAR_MEMORY = "sluice.dev/sidecar-memory";
    public static final String SIDECAR_CPU_LIMIT = "sluice.dev/sidecar-cpu-limit";
    public static final String SIDECAR_MEMORY_LIMIT = "sluice.dev/sidecar-memory-limit";
    /**
     * Pod annotation: the protocol the app speaks on the taken port, {@link #APP_PROTOCOL_HTTP} or {@link #APP_PROTOCOL_H2C};
     * without it, the Services that select the pod say (their port's {@code appProtocol} or name).
     */
    public static final String APP_PROTOCOL = "sluice.dev/app-protocol";
    /** HTTP/1.1 to the app (the default). */
    public static final String APP_PROTOCOL_HTTP = "http";
    /** HTTP/2 in cleartext with prior knowledge to the app: gRPC apps, and any h2c server. */
    public static final String APP_PROTOCOL_H2C = "h2c";
    /** Pod annotation: a duration passed to the sidecar as {@link #ENV_UPSTREAM_TIMEOUT}. */
    public static final String UPSTREAM_TIMEOUT = "sluice.dev/upstream-timeout";
    /** Pod annotation: trace, debug, info, warn or error, passed to the sidecar as {@link #ENV_LOG_LEVEL}. */
    public static final String LOG_LEVEL = "sluice.dev/log-level";

    /** Written by the injector: a JSON record of what it injected; its presence makes another pass change nothing. */
    public static final String INJECTED = "sluice.dev/injected";
    /** Written by the injector: why a selected pod was not injected, naming what to add. */
    public static final String SKIPPED = "sluice.dev/injection-skipped";

    /** The native sidecar: an init container with {@code restartPolicy: Always}. */
    public static final String SIDECAR_CONTAINER = "sluice-sidecar";
    public static final String ADMIN_PORT_NAME = "sluice-admin";
    public static final int DEFAULT_ADMIN_PORT = 15021;
    /** The app's port moves to the first free number from here. */
    public static final int FIRST_APP_PORT = 15100;
    /** The name of the app's moved port when the taken one had none. */
    public static final String UNNAMED_APP_PORT = "sluice-app";
    public static final String APP_PORT_PREFIX = "app-";

    /** Every volume the injector adds starts with this. */
    public static final String VOLUME_PREFIX = "sluice-";
    public static final String CONFIG_VOLUME = "sluice-config";
    /** The namespace's sidecar ConfigMap the operator renders; optional in the pod, so a namespace without policies still starts pods. */
    public static final String CONFIG_MAP = "sluice-config";
    public static final String CONFIG_DIR = "/etc/sluice";
    public static final String CONFIG_FILE = "/etc/sluice/sidecar.yaml";
    public static final String PODINFO_VOLUME = "sluice-podinfo";
    public static final String PODINFO_DIR = "/etc/podinfo";
    public static final String LABELS_FILE = "/etc/podinfo/labels";
    public static final String TMP_VOLUME = "sluice-tmp";
    public static final String TMP_DIR = "/tmp";

    /** The sidecar's admin paths the injected probes and hook call. */
    public static final String HEALTHZ = "/healthz";
    public static final String READYZ = "/readyz";
    public static final String DRAIN = "/drain";
    public static final String DRAIN_TOKEN_HEADER = "X-Sluice-Drain-Token";

    /** The sidecar's environment. */
    public static final String ENV_DRAIN_TOKEN = "SLUICE_DRAIN_TOKEN";
    public static final String ENV_UPSTREAM_TIMEOUT = "SLUICE_UPSTREAM_TIMEOUT";
    public static final String ENV_LOG_LEVEL = "SLUICE_LOG_LEVEL";
    public static final String ENV_REDIS_PASSWORD = "SLUICE_REDIS_PASSWORD";

    /** The non-root user and group the sidecar runs as. */
    public static final long SIDECAR_USER = 65532L;
}
