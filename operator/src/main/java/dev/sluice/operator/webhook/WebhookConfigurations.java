package dev.sluice.operator.webhook;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The webhook configurations that call the operator, by name. Someone else installs them (the chart:
 * rules, selectors, failure policy, match conditions); the operator only writes the {@code caBundle}
 * of each of their webhooks, with a JSON Patch that touches nothing else. A name may be a
 * MutatingWebhookConfiguration or a ValidatingWebhookConfiguration.
 */
public final class WebhookConfigurations {
    private static final String MUTATING = "MutatingWebhookConfiguration";
    private static final String VALIDATING = "ValidatingWebhookConfiguration";

    private final KubernetesClient client;
    private final List<String> names;

    public WebhookConfigurations(KubernetesClient client, List<String> names) {
        this.client = client;
        this.names = List.copyOf(names);
    }

    public List<String> names() {
        return names;
    }

    /**
     * One configuration as read: its kind, resourceVersion and the caBundle of each webhook (PEM,
     * null when it has none), in order.
     */
    public record Found(String kind, String name, String resourceVersion, List<String> caBundles) {
        public Found {
            caBundles = Collections.unmodifiableList(new ArrayList<>(caBundles));
        }

        /** Whether every webhook's caBundle is exactly {@code bundlePem}. */
        public boolean holds(String bundlePem) {
            return caBundles.stream().allMatch(bundle -> Objects.equals(normalized(bundle), normalized(bundlePem)));
        }

        /** This configuration once its caBundles are {@code bundlePem}. */
        public Found holding(String bundlePem) {
            return new Found(kind, name, resourceVersion, Collections.nCopies(caBundles.size(), bundlePem));
        }

        /** Whether every webhook's caBundle trusts the certificates. */
        public boolean trusts(WebhookCertificates certificates) {
            return caBundles.stream().allMatch(certificates::trustedBy);
        }
    }

    /** What reading them found: the configurations by name, and why each of the others could not be read. */
    public record Lookup(List<Found> found, Map<String, String> missing) {
        public Lookup {
            found = List.copyOf(found);
            missing = Collections.unmodifiableMap(new LinkedHashMap<>(missing));
        }
    }

    /** Reads each configuration, as a MutatingWebhookConfiguration and failing that as a ValidatingWebhookConfiguration. */
    public Lookup read() {
        List<Found> found = new ArrayList<>();
        Map<String, String> missing = new LinkedHashMap<>();
        for (String name : names) {
            List<String> problems = new ArrayList<>();
            Found configuration = mutating(name, problems);
            if (configuration == null) {
                configuration = validating(name, problems);
            }
            if (configuration != null) {
                found.add(configuration);
            } else {
                missing.put(name, problems.isEmpty() ? "neither a " + MUTATING + " nor a " + VALIDATING + " of that name exists"
                        : String.join("; ", problems));
            }
        }
        return new Lookup(found, missing);
    }

    /**
     * Sets the caBundle of every webhook of {@code configuration} to {@code bundlePem}, on the condition
     * that it is still as read; false when it changed meanwhile (read it again).
     */
    public boolean patch(Found configuration, String bundlePem) {
        String encoded = Base64.getEncoder().encodeToString(bundlePem.getBytes(StandardCharsets.UTF_8));
        List<Map<String, Object>> operations = new ArrayList<>();
        operations.add(Map.of("op", "test", "path", "/metadata/resourceVersion", "value", configuration.resourceVersion()));
        for (int i = 0; i < configuration.caBundles().size(); i++) {
            operations.add(Map.of("op", "add", "path", "/webhooks/" + i + "/clientConfig/caBundle", "value", encoded));
        }
        String patch = client.getKubernetesSerialization().asJson(operations);
        try {
            if (MUTATING.equals(configuration.kind())) {
                client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(configuration.name())
                        .patch(PatchContext.of(PatchType.JSON), patch);
            } else {
                client.admissionRegistration().v1().validatingWebhookConfigurations().withName(configuration.name())
                        .patch(PatchContext.of(PatchType.JSON), patch);
            }
            return true;
        } catch (KubernetesClientException e) {
            // A failed test operation is 422 (Invalid), a lost race 409; a deleted configuration 404: all say read again.
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == 422 || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private Found mutating(String name, List<String> problems) {
        MutatingWebhookConfiguration configuration = get(() -> client.admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName(name).get(), MUTATING, problems);
        return configuration == null ? null : found(MUTATING, configuration, configuration.getWebhooks().stream().map(MutatingWebhook::getClientConfig).toList());
    }

    private Found validating(String name, List<String> problems) {
        ValidatingWebhookConfiguration configuration = get(() -> client.admissionRegistration().v1().validatingWebhookConfigurations()
                .withName(name).get(), VALIDATING, problems);
        return configuration == null ? null
                : found(VALIDATING, configuration, configuration.getWebhooks().stream().map(ValidatingWebhook::getClientConfig).toList());
    }

    /** The object, or null when it does not exist or may not be read (which the operator's RBAC may say of the other kind). */
    private static <T> T get(Supplier<T> read, String kind, List<String> problems) {
        try {
            return read.get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
                problems.add("reading it as a " + kind + " is forbidden");
                return null;
            }
            throw e;
        }
    }

    private static Found found(String kind, HasMetadata configuration, List<WebhookClientConfig> clientConfigs) {
        List<String> bundles = new ArrayList<>();
        for (WebhookClientConfig config : clientConfigs) {
            String bundle = config == null ? null : config.getCaBundle();
            bundles.add(bundle == null || bundle.isEmpty() ? null : new String(Base64.getDecoder().decode(bundle), StandardCharsets.UTF_8));
        }
        return new Found(kind, configuration.getMetadata().getName(), configuration.getMetadata().getResourceVersion(), bundles);
    }

    private static String normalized(String pem) {
        return pem == null ? null : pem.replace("\r\n", "\n").strip();
    }
}
