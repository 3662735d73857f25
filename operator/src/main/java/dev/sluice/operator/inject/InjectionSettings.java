package dev.sluice.operator.inject;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.flags.Flags;
import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * How the operator injects its sidecar into pods (docs/injection.md).
 *
 * @param enabled whether the operator serves the pod injection webhook ({@code /pods/inject}); it needs the webhook server on
 * @param image the sidecar image; required when enabled
 * @param pullPolicy Always, IfNotPresent or Never
 * @param resources the sidecar's requests and limits
 * @param adminPort the sidecar's admin port (probes, drain), moved up when a container of the pod declares it
 * @param drainSeconds how long the app's injected preStop waits while the sidecar drains (0-300), capped by the pod's grace period
 * @param allowedImages the images pods may pick with {@value InjectionNames#SIDECAR_IMAGE}
 * @param resourceOverrides whether pods may change the sidecar's resources by annotation
 * @param redisSecretName the Secret (in each pod's namespace) holding the Redis password; null for none
 * @param redisSecretKey its key; null when there is no Secret
 */
public record InjectionSettings(boolean enabled, String image, String pullPolicy, ResourceRequirements resources, int adminPort, int drainSeconds,
        Set<String> allowedImages, boolean resourceOverrides, String redisSecretName, String redisSecretKey) {
    public static final String DEFAULT_PULL_POLICY = "IfNotPresent";
    public static final int DEFAULT_DRAIN_SECONDS = 5;
    public static final int MAX_DRAIN_SECONDS = 300;
    public static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
    /**
     * The chart's defaults: enough for the sidecar under light traffic, and a memory limit so that a leak cannot starve
     * the app. The sidecar image sizes its JVM from that limit and fits 128Mi under load (docs/benchmarks.md).
     */
    public static final ResourceRequirements DEFAULT_RESOURCES = new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity("50m")).addToRequests("memory", new Quantity("128Mi"))
            .addToLimits("memory", new Quantity("128Mi")).build();
    /** The flags, each falling back to its environment variable SLUICE_<NAME>. */
    public static final Set<String> FLAGS = Set.of("injection", "sidecar-image", "sidecar-image-pull-policy", "sidecar-resources",
            "sidecar-admin-port", "sidecar-drain-seconds", "injection-allowed-images", "injection-resource-overrides", "sidecar-redis-secret");
    public static final String USAGE = """
              --injection=B           serve the pod injection webhook /pods/inject; needs --webhook=true (env SLUICE_INJECTION; default false)
              --sidecar-image=REF     the injected sidecar's image, required with --injection (env SLUICE_SIDECAR_IMAGE)
              --sidecar-image-pull-policy=P
                                      Always, IfNotPresent or Never (env SLUICE_SIDECAR_IMAGE_PULL_POLICY; default IfNotPresent)
              --sidecar-resources=JSON
                                      the sidecar's ResourceRequirements, e.g. {"requests":{"cpu":"50m"},"limits":{"memory":"256Mi"}}
                                      (env SLUICE_SIDECAR_RESOURCES; default requests cpu 50m memory 128Mi, limits memory 128Mi)
              --sidecar-admin-port=N  the sidecar's admin port (env SLUICE_SIDECAR_ADMIN_PORT; default 15021)
              --sidecar-drain-seconds=N
                                      the app's preStop wait while the sidecar drains, 0-300 (env SLUICE_SIDECAR_DRAIN_SECONDS; default 5)
              --injection-allowed-images=a,b
                                      images pods may pick with sluice.dev/sidecar-image (env SLUICE_INJECTION_ALLOWED_IMAGES; default none)
              --injection-resource-overrides=B
                                      whether pods may set the sidecar's resources by annotation (env SLUICE_INJECTION_RESOURCE_OVERRIDES; default false)
              --sidecar-redis-secret=NAME/KEY
                                      a Secret in each pod's namespace with the Redis password, as SLUICE_REDIS_PASSWORD
                                      (env SLUICE_SIDECAR_REDIS_SECRET; default none)
            """;
    private static final Pattern OBJECT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");
    private static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public InjectionSettings {
        allowedImages = Set.copyOf(allowedImages);
        resources = resources == null ? DEFAULT_RESOURCES : resources;
    }

    public static InjectionSettings disabled() {
        return new InjectionSettings(false, null, DEFAULT_PULL_POLICY, DEFAULT_RESOURCES, InjectionNames.DEFAULT_ADMIN_PORT, DEFAULT_DRAIN_SECONDS,
                Set.of(), false, null, null);
    }

    /** Injection on with {@code image} and every other setting at its default. */
    public static InjectionSettings enabled(String image) {
        return new InjectionSettings(true, image, DEFAULT_PULL_POLICY, DEFAULT_RESOURCES, InjectionNames.DEFAULT_ADMIN_PORT, DEFAULT_DRAIN_SECONDS,
                Set.of(), false, null, null);
    }

    public static InjectionSettings parse(UnaryOperator<String> setting) {
        String enabled = setting.apply("injection");
        String image = blankToNull(setting.apply("sidecar-image"));
        String pullPolicy = setting.apply("sidecar-image-pull-policy");
        String resources = setting.apply("sidecar-resources");
        String adminPort = setting.apply("sidecar-admin-port");
        String drain = setting.apply("sidecar-drain-seconds");
        String overrides = setting.apply("injection-resource-overrides");
        String redis = blankToNull(setting.apply("sidecar-redis-secret"));
        boolean on = enabled != null && Flags.bool("--injection", enabled);
        if (on && image == null) {
            throw new IllegalArgumentException("--injection=true needs --sidecar-image (env SLUICE_SIDECAR_IMAGE): the image of the injected sidecar");
        }
        if (pullPolicy != null && !PULL_POLICIES.contains(pullPolicy.trim())) {
            throw new IllegalArgumentException("--sidecar-image-pull-policy must be one of " + PULL_POLICIES + ", got '" + pullPolicy + "'");
        }
        String[] secret = redis == null ? null : redisSecret(redis);
        return new InjectionSettings(on, image,
                pullPolicy == null ? DEFAULT_PULL_POLICY : pullPolicy.trim(),
                resources == null || resources.isBlank() ? DEFAULT_RESOURCES : resources(resources),
                adminPort == null ? InjectionNames.DEFAULT_ADMIN_PORT : adminPort(adminPort),
                drain == null ? DEFAULT_DRAIN_SECONDS : drainSeconds(drain),
                new LinkedHashSet<>(Flags.list(setting.apply("injection-allowed-images"))),
                overrides != null && Flags.bool("--injection-resource-overrides", overrides),
                secret == null ? null : secret[0],
                secret == null ? null : secret[1]);
    }

    /** A ResourceRequirements as JSON, with only {@code requests} and {@code limits}, each quantity valid. */
    static ResourceRequirements resources(String json) {
        ResourceRequirements parsed;
        try {
            parsed = STRICT.readValue(json, ResourceRequirements.class);
        } catch (Exception e) {
            throw new IllegalArgumentException("--sidecar-resources must be a ResourceRequirements as JSON, e.g. "
                    + "{\"requests\":{\"cpu\":\"50m\",\"memory\":\"128Mi\"},\"limits\":{\"memory\":\"128Mi\"}}, got '" + json + "': "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        if (parsed == null) {
            throw new IllegalArgumentException("--sidecar-resources must be a JSON object, got '" + json + "'");
        }
        if (!parsed.getAdditionalProperties().isEmpty() || parsed.getClaims() != null && !parsed.getClaims().isEmpty()) {
            throw new IllegalArgumentException("--sidecar-resources takes only requests and limits, got '" + json + "'");
        }
        for (Map.Entry<String, Map<String, Quantity>> part : Map.of("requests", nullToEmpty(parsed.getRequests()),
                "limits", nullToEmpty(parsed.getLimits())).entrySet()) {
            part.getValue().forEach((resource, quantity) -> {
                if (!SidecarResources.valid(quantity)) {
                    throw new IllegalArgumentException("--sidecar-resources: " + part.getKey() + "." + resource + " '" + quantity
                            + "' is not a Kubernetes quantity (e.g. 50m, 128Mi), in '" + json + "'");
                }
            });
        }
        String conflict = SidecarResources.requestAboveLimit(parsed);
        if (conflict != null) {
            throw new IllegalArgumentException("--sidecar-resources: " + conflict + ", in '" + json + "'");
        }
        return parsed;
    }

    private static Map<String, Quantity> nullToEmpty(Map<String, Quantity> map) {
        return map == null ? Map.of() : map;
    }

    private static int adminPort(String value) {
        int port = Flags.port("--sidecar-admin-port", value);
        if (port == 0) {
            throw new IllegalArgumentException("--sidecar-admin-port '" + value + "' is not a port (1-65535)");
        }
        return port;
    }

    private static int drainSeconds(String value) {
        try {
            int seconds = Integer.parseInt(value.trim());
            if (seconds >= 0 && seconds <= MAX_DRAIN_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below with the value
        }
        throw new IllegalArgumentException("--sidecar-drain-seconds '" + value + "' is not a number of seconds (0-" + MAX_DRAIN_SECONDS + ")");
    }

    private static String[] redisSecret(String value) {
        String[] parts = value.split("/", -1);
        if (parts.length != 2 || !OBJECT_NAME.matcher(parts[0]).matches() || parts[0].length() > 253 || !SECRET_KEY.matcher(parts[1]).matches()) {
            throw new IllegalArgumentException("--sidecar-redis-secret must be NAME/KEY (a Secret's name and one of its keys), got '" + value + "'");
        }
        return parts;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
