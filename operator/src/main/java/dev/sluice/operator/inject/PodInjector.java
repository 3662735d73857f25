package dev.sluice.operator.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.inject.PortChoice.Found;
import dev.sluice.operator.inject.PortReferences.Port;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandlerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Puts the Sluice sidecar in front of a pod's HTTP port, as a pure function of the pod, its namespace's
 * mode and Services, and the operator's settings (docs/injection.md). The sidecar takes the app's port with its name and
 * number, so Services and Ingresses reach it without an edit; the app moves to a free port it learns through
 * the env var of its declared contract. Anything that cannot be done safely leaves the pod as it is, with
 * the reason in the annotation {@value InjectionNames#SKIPPED}: a pod is never made unable to start.
 */
public final class PodInjector {
    /** The kubelet's default when a pod sets none. */
    static final long DEFAULT_GRACE_SECONDS = 30;
    /** Kept between the end of the drain wait and the end of the grace period, for the app's own shutdown. */
    static final long GRACE_MARGIN_SECONDS = 2;
    /**
     * The sidecar's credentials for its watch of {@value InjectionNames#CONFIG_MAP} on the API server: its own projected
     * ServiceAccount token (audience the API server's, rotated by the kubelet) and the cluster's root CA, mounted where the
     * sidecar looks by default. Projected, not the automounted token, so that it is there also in pods with
     * {@code automountServiceAccountToken: false}, and so that no container of the app gets one it did not ask for.
     */
    static final String API_VOLUME = "sluice-api";
    /** The sidecar's setting of the ConfigMap it watches (its --config-watch). */
    static final String CONFIG_WATCH_ENV = "SLUICE_CONFIG_WATCH";
    static final String API_DIR = "/var/run/secrets/sluice";
    /** The token's lifetime, as the automounted one's; the kubelet renews it at 80% of it and the sidecar reads it afresh at each (re)connect. */
    static final long API_TOKEN_SECONDS = 3600;
    /** The ConfigMap every namespace gets from the API server with its root CA. */
    static final String ROOT_CA_CONFIG_MAP = "kube-root-ca.crt";
    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");
    /** What Kubernetes accepts as an env var name. */
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
    /** An IANA service name, as a container port name must be. */
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The annotations of annotation-based scraping (the kubernetes_sd relabelling most Prometheus configurations carry): scrape, port, path. */
    static final List<String> SCRAPE_ANNOTATIONS = List.of("prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path");

    private final InjectionSettings settings;
    private final Set<String> excludedNamespaces;
    private final Supplier<String> drainTokens;

    /**
     * @param excludedNamespaces namespaces whose pods never get the sidecar (the operator's own, kube-system)
     * @param drainTokens a new secret per injection, shared by the sidecar and the app's preStop hook
     */
    public PodInjector(InjectionSettings settings, Set<String> excludedNamespaces, Supplier<String> drainTokens) {
        this.settings = settings;
        this.excludedNamespaces = Set.copyOf(excludedNamespaces);
        this.drainTokens = drainTokens;
    }

    /** 32 hex characters from a SecureRandom. */
    public static Supplier<String> randomTokens() {
        return () -> {
            byte[] bytes = new byte[16];
            RANDOM.nextBytes(bytes);
            return HexFormat.of().formatHex(bytes);
        };
    }

    /** What became of a pod: the pod to admit (possibly unchanged) and the warnings for whoever created it. */
    public sealed interface Result permits Injected, Skipped {
        Pod pod();

        List<String> warnings();
    }

    /** The pod with the sidecar; {@code record} is the JSON of {@value InjectionNames#INJECTED}. */
    public record Injected(Pod pod, String record, List<String> warnings) implements Result {
    }

    /** The pod without the sidecar, annotated with {@code message} when {@link SkipReason#annotates()}. */
    public record Skipped(Pod pod, SkipReason reason, String message, List<String> warnings) implements Result {
    }

    /**
     * {@code original} is not changed; {@code namespace} is the pod's (an admission request may leave it out of the pod);
     * {@code services} are read only for a pod that gets the sidecar without {@value InjectionNames#APP_PROTOCOL}.
     */
    public Result inject(Pod original, String namespace, NamespaceMode mode, NamespaceServices services) {
        Pod pod = SERIALIZATION.clone(original);
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        List<Container> containers = pod.getSpec().getContainers() == null ? new ArrayList<>() : pod.getSpec().getContainers();
        List<Container> initContainers = pod.getSpec().getInitContainers() == null ? new ArrayList<>() : pod.getSpec().getInitContainers();
        // Injected already only if the sidecar itself is there, from an image the operator would inject: the
        // annotation alone, or any container given the sidecar's name, would let a pod escape a required namespace.
        Container named = Stream.concat(containers.stream(), initContainers.stream())
                .filter(c -> InjectionNames.SIDECAR_CONTAINER.equals(c.getName())).findFirst().orElse(null);
        if (named != null && (settings.image().equals(named.getImage()) || settings.allowedImages().contains(named.getImage()))) {
            return new Skipped(original, SkipReason.ALREADY_INJECTED, null, List.of());
        }
        List<String> warnings = new ArrayList<>();
        String podChoice = labels.get(InjectionNames.LABEL);
        boolean selected = switch (mode) {
            case REQUIRED -> true;
            case ENABLED -> !InjectionNames.POD_OPT_OUT.equals(podChoice);
            case NONE -> InjectionNames.POD_OPT_IN.equals(podChoice);
        };
        if (!selected) {
            return new Skipped(original, SkipReason.NOT_SELECTED, null, List.of());
        }
        if (mode == NamespaceMode.REQUIRED && InjectionNames.POD_OPT_OUT.equals(podChoice)) {
            warnings.add("namespace " + namespace + " requires the Sluice sidecar (" + InjectionNames.LABEL + "=" + InjectionNames.NAMESPACE_REQUIRED
                    + "): the pod's label " + InjectionNames.LABEL + "=" + InjectionNames.POD_OPT_OUT + " is not honoured");
        }
        if (named != null) {
            return skip(original, SkipReason.NAME_CONFLICT, "the pod already has a container named " + InjectionNames.SIDECAR_CONTAINER
                    + " (image " + named.getImage() + "), which is not the Sluice sidecar (" + settings.image() + " or an allowed image): rename it",
                    warnings);
        }
        if (excludedNamespaces.contains(namespace)) {
            return skip(original, SkipReason.EXCLUDED_NAMESPACE, "namespace " + namespace + " never gets the Sluice sidecar (the operator's own"
                    + " namespace and kube-system are excluded, so that they never depend on the operator)", warnings);
        }
        if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return skip(original, SkipReason.HOST_NETWORK, "hostNetwork pods are not injected: the sidecar cannot take over a port on the"
                    + " node's network; remove hostNetwork: true, or label the pod " + InjectionNames.LABEL + "=" + InjectionNames.POD_OPT_OUT, warnings);
        }
        PortChoice.Outcome choice = PortChoice.choose(containers, annotations.get(InjectionNames.PORT));
        if (choice.found() == null) {
            return skip(original, choice.reason(), choice.message(), warnings);
        }
        Found target = choice.found();
        ContainerPort taken = target.port();
        int number = taken.getContainerPort();
        String portEnv = annotations.get(InjectionNames.PORT_ENV);
        if (portEnv != null && !ENV_NAME.matcher(portEnv.trim()).matches()) {
            return skip(original, SkipReason.NO_PORT_CONTRACT, InjectionNames.PORT_ENV + " '" + portEnv + "' is not an environment variable name:"
                    + " name the variable from which the app reads the port it listens on", warnings);
        }
        String contract = portEnv != null ? portEnv.trim() : hasEnv(target.container(), InjectionNames.DEFAULT_PORT_ENV, String.valueOf(number))
                ? InjectionNames.DEFAULT_PORT_ENV : null;
        if (contract == null) {
            return skip(original, SkipReason.NO_PORT_CONTRACT, "port " + number + (taken.getName() == null ? "" : " ('" + taken.getName() + "')")
                    + " is taken over only when the pod declares how the app learns its new port: add the annotation " + InjectionNames.PORT_ENV
                    + ": PORT (the variable your app reads)", warnings);
        }
        Volume conflicting = pod.getSpec().getVolumes() == null ? null : pod.getSpec().getVolumes().stream()
                .filter(volume -> List.of(InjectionNames.CONFIG_VOLUME, InjectionNames.PODINFO_VOLUME, InjectionNames.TMP_VOLUME, API_VOLUME)
                        .contains(volume.getName())).findFirst().orElse(null);
        if (conflicting != null) {
            return skip(original, SkipReason.NAME_CONFLICT, "the pod already has a volume named " + conflicting.getName()
                    + ", a name the Sluice sidecar's volumes use: rename it", warnings);
        }

        Set<Integer> used = new HashSet<>();
        Stream.concat(containers.stream(), initContainers.stream()).flatMap(c -> c.getPorts() == null ? Stream.empty() : c.getPorts().stream())
                .forEach(port -> used.add(port.getContainerPort()));
        int admin = settings.adminPort();
        while (used.contains(admin)) {
            admin++;
        }
        int appPort = InjectionNames.FIRST_APP_PORT;
        while (used.contains(appPort) || appPort == admin) {
            appPort++;
        }

        Container app = target.container();
        Port old = new Port(taken.getName(), number);
        for (Container container : containers) {
            // The kubelet resolves a name in the probing container only; a number means the pod's IP and port, wherever declared.
            PortReferences.rewrite(container, container == app ? old : new Port(null, number), appPort);
        }
        String bindEnv = annotations.get(InjectionNames.BIND_ENV);
        if (bindEnv != null) {
            List<String> calling = new ArrayList<>();
            for (Container container : containers) {
                PortReferences.callingNumber(container, appPort).forEach(where -> calling.add(where + " of container " + container.getName()));
            }
            if (!calling.isEmpty()) {
                return skip(original, SkipReason.LOOPBACK_PROBE, InjectionNames.BIND_ENV + " asks the app to listen on " + InjectionNames.LOOPBACK
                        + " only, but the kubelet calls its port " + number + " through the pod's IP (" + String.join(", ", calling)
                        + "): remove the annotation, or make those probes exec probes", warnings);
            }
            if (!ENV_NAME.matcher(bindEnv.trim()).matches()) {
                warnings.add(InjectionNames.BIND_ENV + " '" + bindEnv + "' is not an environment variable name: the app's listen address is left as it is");
                bindEnv = null;
            }
        }

        AppProtocolChoice.Outcome protocol = AppProtocolChoice.choose(annotations.get(InjectionNames.APP_PROTOCOL), labels, taken,
                () -> services.in(namespace));
        if (protocol.error() != null) {
            return skip(original, SkipReason.UNKNOWN_APP_PROTOCOL, protocol.error(), warnings);
        }
        if (protocol.warning() != null) {
            warnings.add(protocol.warning());
        }

        app.getPorts().set(app.getPorts().indexOf(taken), new ContainerPortBuilder().withName(appPortName(taken.getName(), app))
                .withContainerPort(appPort).withProtocol(taken.getProtocol()).build());
        setEnv(app, contract, String.valueOf(appPort));
        if (bindEnv != null) {
            setEnv(app, bindEnv.trim(), InjectionNames.LOOPBACK);
        }
        String token = drainTokens.get();
        long grace = pod.getSpec().getTerminationGracePeriodSeconds() == null ? DEFAULT_GRACE_SECONDS : pod.getSpec().getTerminationGracePeriodSeconds();
        long drainSeconds = Math.max(0, Math.min(settings.drainSeconds(), grace - GRACE_MARGIN_SECONDS));
        boolean ownPreStop = app.getLifecycle() != null && app.getLifecycle().getPreStop() != null;
        if (drainSeconds > 0 && !ownPreStop) {
            if (app.getLifecycle() == null) {
                app.setLifecycle(new Lifecycle());
            }
            app.getLifecycle().setPreStop(new LifecycleHandlerBuilder().withNewHttpGet().withPort(new IntOrString(admin))
                    .withPath(InjectionNames.DRAIN + "?seconds=" + drainSeconds)
                    .addNewHttpHeader(InjectionNames.DRAIN_TOKEN_HEADER, token).endHttpGet().build());
        }
        String image = image(annotations, warnings);
        ResourceRequirements resources = resources(annotations, warnings);
        List<EnvVar> env = new ArrayList<>();
        // Changes reach the sidecar through its watch within a second; the file is what it starts from. An
        // environment variable rather than a flag, so that a sidecar image older than the watch (an allowed
        // override) ignores it instead of refusing to start.
        env.add(new EnvVar(CONFIG_WATCH_ENV, namespace + "/" + InjectionNames.CONFIG_MAP, null));
        env.add(new EnvVar(InjectionNames.ENV_DRAIN_TOKEN, token, null));
        sidecarSettings(annotations, warnings).forEach((name, value) -> env.add(new EnvVar(name, value, null)));
        if (settings.redisSecretName() != null) {
            env.add(new EnvVarBuilder().withName(InjectionNames.ENV_REDIS_PASSWORD).withNewValueFrom().withNewSecretKeyRef(settings.redisSecretKey(),
                    settings.redisSecretName(), true).endValueFrom().build());
        }
        initContainers.add(sidecar(image, resources, env, taken, protocol.protocol(), appPort, admin));
        pod.getSpec().setInitContainers(initContainers);
        List<Volume> volumes = pod.getSpec().getVolumes() == null ? new ArrayList<>() : pod.getSpec().getVolumes();
        volumes.addAll(volumes());
        pod.getSpec().setVolumes(volumes);

        Map<String, String> scrape = scrapeAnnotations(annotations, admin, warnings);

        Map<String, Object> record = new LinkedHashMap<>();
        record.put("version", 1);
        record.put("image", image);
        record.put("container", app.getName());
        record.put("port", taken.getName());
        record.put("number", number);
        record.put("appPort", appPort);
        record.put("appProtocol", protocol.protocol().scheme());
        record.put("appProtocolFrom", protocol.from());
        record.put("portEnv", contract);
        record.put("admin", admin);
        record.put("drainSeconds", ownPreStop ? 0 : drainSeconds);
        if (!warnings.isEmpty()) {
            record.put("warnings", warnings);
        }
        String json;
        try {
            json = JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the injection record", e);
        }
        Map<String, String> written = new LinkedHashMap<>(annotations);
        written.remove(InjectionNames.SKIPPED);
        written.putAll(scrape);
        written.put(InjectionNames.INJECTED, json);
        pod.getMetadata().setAnnotations(written);
        return new Injected(pod, json, List.copyOf(warnings));
    }

    /**
     * The annotations by which a Prometheus without the Prometheus operator finds the sidecar's metrics
     * (the usual kubernetes_sd relabelling: scrape, port, path; docs/monitoring.md). The convention has one
     * port per pod: a pod that names its own keeps them (its app's metrics), with a warning.
     */
    private static Map<String, String> scrapeAnnotations(Map<String, String> annotations, int admin, List<String> warnings) {
        List<String> own = SCRAPE_ANNOTATIONS.stream().filter(annotations::containsKey).toList();
        if (!own.isEmpty()) {
            warnings.add("the pod's own " + String.join(", ", own) + " annotation(s) are kept, so annotation-based scraping does not find the"
                    + " sidecar's metrics (port " + admin + ", /metrics): scrape them with the chart's PodMonitor (metrics.podMonitor) or a"
                    + " scrape job on the port named " + InjectionNames.ADMIN_PORT_NAME);
            return Map.of();
        }
        Map<String, String> scrape = new LinkedHashMap<>();
        scrape.put(SCRAPE_ANNOTATIONS.get(0), "true");
        scrape.put(SCRAPE_ANNOTATIONS.get(1), String.valueOf(admin));
        scrape.put(SCRAPE_ANNOTATIONS.get(2), "/metrics");
        return scrape;
    }

    private static Skipped skip(Pod original, SkipReason reason, String message, List<String> warnings) {
        Pod pod = SERIALIZATION.clone(original);
        Map<String, String> annotations = new LinkedHashMap<>(pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations());
        annotations.put(InjectionNames.SKIPPED, message);
        pod.getMetadata().setAnnotations(annotations);
        List<String> all = new ArrayList<>(warnings);
        all.add("Sluice sidecar not injected: " + message);
        return new Skipped(pod, reason, message, List.copyOf(all));
    }

    private static boolean hasEnv(Container container, String name, String value) {
        return container.getEnv() != null && container.getEnv().stream()
                .anyMatch(env -> name.equals(env.getName()) && env.getValueFrom() == null && value.equals(env.getValue()));
    }

    /** Sets {@code name} to {@code value}, in place of any earlier definition (a literal or a reference). */
    private static void setEnv(Container container, String name, String value) {
        List<EnvVar> env = container.getEnv() == null ? new ArrayList<>() : new ArrayList<>(container.getEnv());
        env.removeIf(variable -> name.equals(variable.getName()));
        env.add(new EnvVar(name, value, null));
        container.setEnv(env);
    }

    /** {@code app-<name>} cut to a valid port name, unique among the container's port names; {@code sluice-app} for an unnamed port. */
    static String appPortName(String name, Container container) {
        Set<String> taken = new HashSet<>();
        container.getPorts().forEach(port -> taken.add(port.getName()));
        String base = name == null ? InjectionNames.UNNAMED_APP_PORT : trimDashes(cut(InjectionNames.APP_PORT_PREFIX + name, 15));
        String candidate = base;
        for (int i = 2; taken.contains(candidate) || !PORT_NAME.matcher(candidate).matches() || candidate.contains("--"); i++) {
            String suffix = "-" + i;
            candidate = trimDashes(cut(base, 15 - suffix.length())).replace("--", "-") + suffix;
        }
        return candidate;
    }

    private static String cut(String value, int length) {
        return value.length() <= length ? value : value.substring(0, length);
    }

    private static String trimDashes(String value) {
        return value.replaceAll("-+$", "");
    }

    private String image(Map<String, String> annotations, List<String> warnings) {
        String requested = annotations.get(InjectionNames.SIDECAR_IMAGE);
        if (requested == null || requested.trim().equals(settings.image())) {
            return settings.image();
        }
        if (settings.allowedImages().contains(requested.trim())) {
            return requested.trim();
        }
        warnings.add(InjectionNames.SIDECAR_IMAGE + " '" + requested + "' is not among the images the operator allows (--injection-allowed-images):"
                + " the default image " + settings.image() + " is used");
        return settings.image();
    }

    private ResourceRequirements resources(Map<String, String> annotations, List<String> warnings) {
        if (!SidecarResources.requested(annotations)) {
            return settings.resources();
        }
        if (!settings.resourceOverrides()) {
            warnings.add("the operator does not let pods set the sidecar's resources (--injection-resource-overrides=false):"
                    + " the sidecar-cpu/memory annotations are not used, the default resources are");
            return settings.resources();
        }
        return SidecarResources.withOverrides(settings.resources(), annotations, warnings);
    }

    /** The sidecar's {@code SLUICE_*} settings users may set by annotation, each invalid one dropped with a warning. */
    private static Map<String, String> sidecarSettings(Map<String, String> annotations, List<String> warnings) {
        Map<String, String> env = new LinkedHashMap<>();
        String timeout = annotations.get(InjectionNames.UPSTREAM_TIMEOUT);
        if (timeout != null) {
            Duration parsed = null;
            try {
                parsed = LimitPeriod.parseDuration(timeout.trim());
            } catch (IllegalArgumentException e) {
                // reported below
            }
            if (parsed != null && !parsed.isZero() && !parsed.isNegative()) {
                env.put(InjectionNames.ENV_UPSTREAM_TIMEOUT, timeout.trim());
            } else {
                warnings.add(InjectionNames.UPSTREAM_TIMEOUT + " '" + timeout + "' is not a positive duration (e.g. 45s, 500ms):"
                        + " the sidecar's default is used");
            }
        }
        String level = annotations.get(InjectionNames.LOG_LEVEL);
        if (level != null) {
            String lower = level.trim().toLowerCase(Locale.ROOT);
            if (LOG_LEVELS.contains(lower)) {
                env.put(InjectionNames.ENV_LOG_LEVEL, lower);
            } else {
                warnings.add(InjectionNames.LOG_LEVEL + " '" + level + "' is not one of trace, debug, info, warn, error: the sidecar's default is used");
            }
        }
        return env;
    }

    private Container sidecar(String image, ResourceRequirements resources, List<EnvVar> env, ContainerPort taken, AppProtocolChoice.Protocol protocol,
            int appPort, int admin) {
        return new ContainerBuilder()
                .withName(InjectionNames.SIDECAR_CONTAINER)
                .withImage(image)
                .withImagePullPolicy(settings.pullPolicy())
                .withRestartPolicy("Always")
                .withArgs("--config", InjectionNames.CONFIG_FILE, "--config-optional", "--pod-labels", InjectionNames.LABELS_FILE,
                        "--upstream", protocol.scheme() + "://" + InjectionNames.LOOPBACK + ":" + appPort, "--port", String.valueOf(taken.getContainerPort()),
                        "--admin-port", String.valueOf(admin), "--reload-interval", "1s")
                .withEnv(env)
                // The Services' port keeps its name, number and hostPort: they now lead to the sidecar.
                .withPorts(new ContainerPortBuilder(taken).build(),
                        new ContainerPortBuilder().withName(InjectionNames.ADMIN_PORT_NAME).withContainerPort(admin).withProtocol("TCP").build())
                // Holds the app's start until the sidecar has loaded its first configuration.
                .withNewStartupProbe().withNewHttpGet().withPath(InjectionNames.HEALTHZ).withPort(new IntOrString(admin)).endHttpGet()
                .withPeriodSeconds(1).withFailureThreshold(120).endStartupProbe()
                .withNewReadinessProbe().withNewHttpGet().withPath(InjectionNames.READYZ).withPort(new IntOrString(admin)).endHttpGet()
                // Not ready within 2 s of the drain's start (a probe a second, two failures): until then its endpoint
                // is still "serving", and kube-proxy falls back to serving terminating endpoints when a Service has
                // no ready one left; Kubernetes' default of three failures would leave it serving for most of the
                // 5 s drain, and new connections then met a sidecar already stopping (an empty 503).
                .withPeriodSeconds(1).withFailureThreshold(2).endReadinessProbe()
                .withResources(resources)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(InjectionNames.SIDECAR_USER).withRunAsGroup(InjectionNames.SIDECAR_USER)
                .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true).withNewCapabilities().withDrop("ALL").endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewVolumeMount().withName(InjectionNames.CONFIG_VOLUME).withMountPath(InjectionNames.CONFIG_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(InjectionNames.PODINFO_VOLUME).withMountPath(InjectionNames.PODINFO_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(InjectionNames.TMP_VOLUME).withMountPath(InjectionNames.TMP_DIR).endVolumeMount()
                .addNewVolumeMount().withName(API_VOLUME).withMountPath(API_DIR).withReadOnly(true).endVolumeMount()
                .build();
    }

    private static List<Volume> volumes() {
        return List.of(
                new VolumeBuilder().withName(InjectionNames.CONFIG_VOLUME).withNewConfigMap().withName(InjectionNames.CONFIG_MAP).withOptional(true)
                        .endConfigMap().build(),
                new VolumeBuilder().withName(InjectionNames.PODINFO_VOLUME).withNewDownwardAPI().addNewItem().withPath("labels")
                        .withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().build(),
                new VolumeBuilder().withName(InjectionNames.TMP_VOLUME).withNewEmptyDir().endEmptyDir().build(),
                new VolumeBuilder().withName(API_VOLUME).withNewProjected()
                        .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(API_TOKEN_SECONDS).endServiceAccountToken()
                        .endSource()
                        .addNewSource().withNewConfigMap().withName(ROOT_CA_CONFIG_MAP).addNewItem().withKey("ca.crt").withPath("ca.crt").endItem()
                        .endConfigMap().endSource()
                        .endProjected().build());
    }
}
